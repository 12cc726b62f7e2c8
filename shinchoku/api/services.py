"""Issuing and revoking API clients, and recording refused API requests.

A token is ``shk_`` + 32 random bytes (URL-safe base64). It is handed to the admin once, in the
response that created it; the database keeps its SHA-256 and the first characters only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from shinchoku.accounts.permissions import Permission
from shinchoku.api.models import ApiClient
from shinchoku.api.networks import NetworkError, parse_networks
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.services import audit_record
from shinchoku.insurers.models import Insurer

if TYPE_CHECKING:
    from shinchoku.accounts.models import User

TOKEN_SCHEME = "shk_"  # noqa: S105 - the fixed marker every token starts with, not a secret
TOKEN_BYTES = 32
# The fixed "shk_" plus 8 random characters: enough to tell a client's token apart in a list
# or an audit row (48 of its 256 bits, so nothing useful to an attacker).
TOKEN_PREFIX_LENGTH = len(TOKEN_SCHEME) + 8
DEFAULT_LIFETIME_YEARS = 1
MAX_LIFETIME_YEARS = 2


class ApiClientError(ValueError):
    """The request cannot be carried out; the message is a Japanese sentence for the admin."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_prefix(token: str) -> str:
    return token[:TOKEN_PREFIX_LENGTH]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def default_last_day(today: date) -> date:
    return _add_years(today, DEFAULT_LIFETIME_YEARS)


def latest_last_day(today: date) -> date:
    return _add_years(today, MAX_LIFETIME_YEARS)


def expiry_after(last_day: date) -> datetime:
    """The moment a token valid through ``last_day`` (local time, Asia/Tokyo) stops working."""
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=timezone.get_default_timezone())


def _check_manager(actor: User, insurer: Insurer) -> None:
    if not actor.can(Permission.API_CLIENT_MANAGE) or actor.insurer_id != insurer.pk:
        raise PermissionDenied


@transaction.atomic
def api_client_create(
    *,
    actor: User,
    insurer: Insurer,
    name: str,
    expires_at: datetime,
    allowed_ips: Iterable[str],
    request: HttpRequest | None = None,
) -> tuple[ApiClient, str]:
    """A new client and its token. The token is returned here and never again."""
    _check_manager(actor, insurer)
    name = name.strip()
    if not name:
        raise ApiClientError("名称を入力してください。")
    now = timezone.now()
    if expires_at <= now:
        raise ApiClientError("有効期限は明日以降の日付にしてください。")
    if expires_at > expiry_after(latest_last_day(timezone.localdate(now))):
        raise ApiClientError(f"有効期限は{MAX_LIFETIME_YEARS}年以内にしてください。")
    try:
        networks = parse_networks(allowed_ips)
    except NetworkError as exc:
        raise ApiClientError(str(exc)) from None
    token = TOKEN_SCHEME + secrets.token_urlsafe(TOKEN_BYTES)
    client = ApiClient.objects.create(
        insurer=insurer,
        name=name[:100],
        token_prefix=token_prefix(token),
        token_hash=token_digest(token),
        allowed_ips=networks,
        created_by=actor,
        created_at=now,
        expires_at=expires_at,
    )
    audit_record(
        event_type=EventType.API_CLIENT_CREATED,
        actor=actor,
        request=request,
        insurer=insurer,
        target=client,
        details={
            "name": client.name,
            "token_prefix": client.token_prefix,
            "expires_at": expires_at.isoformat(),
            "allowed_ips": networks,
        },
    )
    return client, token


@transaction.atomic
def api_client_revoke(*, actor: User, client: ApiClient, request: HttpRequest | None = None) -> ApiClient:
    """Stops the token working at once. Revoking twice changes nothing."""
    _check_manager(actor, client.insurer)
    if client.revoked_at is not None:
        return client
    client.revoked_at = timezone.now()
    client.revoked_by = actor
    client.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        event_type=EventType.API_CLIENT_REVOKED,
        actor=actor,
        request=request,
        insurer=client.insurer,
        target=client,
        details={"name": client.name, "token_prefix": client.token_prefix},
    )
    return client


def api_client_mark_used(*, client: ApiClient, now: datetime) -> None:
    """Bookkeeping for the admin's list (not an audit event: the imports are audited themselves)."""
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now


@transaction.atomic
def api_request_refuse(
    *,
    request: HttpRequest,
    reason: str,
    client: ApiClient | None = None,
    presented_prefix: str = "",
) -> None:
    """Records a refused API request: on the client's insurer when the token was one of ours."""
    audit_record(
        event_type=EventType.API_REQUEST_REFUSED,
        outcome=Outcome.DENIED,
        request=request,
        insurer=client.insurer if client is not None else None,
        target=client,
        actor_label=f"api:{client.name}" if client is not None else "api:unknown",
        details={
            "reason": reason,
            "token_prefix": client.token_prefix if client is not None else presented_prefix,
            "method": request.method or "",
            "path": request.path[:200],
        },
    )
