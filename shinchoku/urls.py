"""Root URLs.

allauth's pages are mounted under /accounts/ minus the ones this service must not offer
(self sign-up, changing one's login e-mail, login by e-mailed code); each remaining allauth
view runs in one transaction, so the audit events our receivers write for it commit or roll
back with what it changed, and answers only GET and POST: Django's generic views would
otherwise take PUT as POST and, on DeleteView, DELETE as a delete that skips allauth's flow
(and so its signal and our audit event) — e.g. removing a passkey unaudited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import allauth.urls
from django.db import transaction
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.http import require_http_methods

from shinchoku.accounts.views import keep_last_second_factor
from shinchoku.web.admin_site import site as admin_site

ALLAUTH_EXCLUDED = frozenset(
    {
        "account_signup",
        "account_signup_by_passkey",
        "mfa_signup_webauthn",
        "account_email",
        "account_confirm_email",
        "account_email_verification_sent",
        "account_request_login_code",
        "account_confirm_login_code",
        "account_verify_phone",
        "account_change_phone",
        "account_set_password",
        "usersessions_list",  # replaced by accounts:security, which audits ending sessions
    }
)


def _unguarded(view: Any) -> Any:
    return view


# Checks allauth's own views lack: its passkey removal ignores can_delete_authenticator.
GUARDS: dict[str, Callable[[Any], Any]] = {"mfa_remove_webauthn": keep_last_second_factor}


def _allauth_patterns(patterns: list[Any]) -> list[URLPattern | URLResolver]:
    kept: list[URLPattern | URLResolver] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            kept.append(
                URLResolver(
                    entry.pattern,
                    _allauth_patterns(list(entry.url_patterns)),
                    entry.default_kwargs,
                    entry.app_name,
                    entry.namespace,
                )
            )
        elif isinstance(entry, URLPattern) and entry.name not in ALLAUTH_EXCLUDED:
            callback = GUARDS.get(entry.name or "", _unguarded)(entry.callback)
            kept.append(
                URLPattern(
                    entry.pattern,
                    transaction.atomic(require_http_methods(["GET", "POST"])(callback)),
                    entry.default_args,
                    entry.name,
                )
            )
    return kept


urlpatterns = [
    path("", include("shinchoku.web.urls")),
    path("", include("shinchoku.accounts.urls")),
    path("", include("shinchoku.audit.urls")),
    path("", include("shinchoku.offices.urls")),
    path("", include("shinchoku.ops.urls")),
    path("", include("shinchoku.cases.urls")),
    path("", include("shinchoku.lookup.urls")),
    path("", include("shinchoku.api.urls")),
    path("", include("shinchoku.insurers.urls")),
    path("", include("shinchoku.checklists.urls")),
    path("accounts/", include(_allauth_patterns(allauth.urls.urlpatterns))),
    path("admin/", admin_site.urls),
]

handler400 = "shinchoku.web.errors.bad_request"
handler403 = "shinchoku.web.errors.permission_denied"
handler404 = "shinchoku.web.errors.page_not_found"
handler500 = "shinchoku.web.errors.server_error"
