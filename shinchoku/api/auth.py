"""Bearer-token authentication of API clients.

Whatever the reason a request is refused (no token, unknown, revoked, expired, insurer no longer
in service, calling from an address not allowed) the caller gets the same 401 with the same
body; the reason goes to the audit trail, with the token's prefix only, never the token.
"""

from __future__ import annotations

import hmac
import re

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from shinchoku.api.models import ApiClient
from shinchoku.api.networks import address_allowed
from shinchoku.api.selectors import api_client_by_token_hash
from shinchoku.api.services import TOKEN_SCHEME, api_client_mark_used, api_request_refuse, token_digest, token_prefix
from shinchoku.web.http import client_ip

_LOOKS_LIKE_OURS = re.compile(re.escape(TOKEN_SCHEME) + r"[A-Za-z0-9_-]{8,}")


class ApiClientToken(HttpBearer):
    openapi_bearerFormat = "shk_…"  # ninja reads openapi_<field of the OpenAPI security scheme>
    openapi_description = "保険者管理者が「API連携」画面で発行したトークン(Authorization: Bearer shk_…)。"

    def __call__(self, request: HttpRequest) -> ApiClient | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            api_request_refuse(request=request, reason="no_token" if not scheme else "not_bearer")
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        digest = token_digest(token)
        client = api_client_by_token_hash(digest)
        if client is None or not hmac.compare_digest(client.token_hash, digest):
            shown = token_prefix(token) if _LOOKS_LIKE_OURS.fullmatch(token) else ""
            api_request_refuse(request=request, reason="unknown_token", presented_prefix=shown)
            return None
        now = timezone.now()
        reason = ""
        if client.revoked_at is not None:
            reason = "revoked"
        elif now >= client.expires_at:
            reason = "expired"
        elif not client.insurer.is_active:
            reason = "insurer_inactive"
        elif not address_allowed(client_ip(request), client.allowed_ips):
            reason = "address_not_allowed"
        if reason:
            api_request_refuse(request=request, reason=reason, client=client)
            return None
        api_client_mark_used(client=client, now=now)
        return client
