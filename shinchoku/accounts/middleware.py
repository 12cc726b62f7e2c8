"""Session limits and the mandatory second factor, enforced on the server for every request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import ngettext

from shinchoku.accounts.adapters import has_second_factor
from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record

LOGIN_AT = "shinchoku.login_at"
SEEN_AT = "shinchoku.seen_at"
SECOND_FACTOR_OK = "shinchoku.second_factor_ok"
TIMED_OUT_FLAG = "_shinchoku_timed_out"
# Writing the activity stamp at most this often keeps idle tracking to within a few seconds
# while sparing a session write on every request of a busy page.
SEEN_AT_RESOLUTION = 15.0


class SessionPolicyMiddleware:
    """Idle (30 min) and absolute (12 h) limits, audited when they end a session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            login_at = float(session.get(LOGIN_AT, now))
            seen_at = float(session.get(SEEN_AT, now))
            reason = None
            if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds():
                reason = "absolute"
            elif now - seen_at > settings.SESSION_IDLE_TIMEOUT.total_seconds():
                reason = "idle"
            if reason is not None:
                return self._end(request, reason)
            if LOGIN_AT not in session:
                session[LOGIN_AT] = now
            if now - seen_at >= SEEN_AT_RESOLUTION or SEEN_AT not in session:
                session[SEEN_AT] = now
        return self.get_response(request)

    def _end(self, request: HttpRequest, reason: str) -> HttpResponse:
        audit_record(
            event_type=EventType.AUTH_SESSION_TIMED_OUT,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
            details={"reason": reason},
        )
        setattr(request, TIMED_OUT_FLAG, True)
        logout(request)
        if reason == "idle":
            minutes = int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60)
            text = ngettext(
                "%(minutes)d分間操作がなかったため、安全のためログアウトしました。もう一度ログインしてください。",
                "%(minutes)d分間操作がなかったため、安全のためログアウトしました。もう一度ログインしてください。",
                minutes,
            ) % {"minutes": minutes}
        else:
            hours = int(settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() // 3600)
            text = ngettext(
                "ログインから%(hours)d時間が経過したため、安全のためログアウトしました。もう一度ログインしてください。",
                "ログインから%(hours)d時間が経過したため、安全のためログアウトしました。もう一度ログインしてください。",
                hours,
            ) % {"hours": hours}
        messages.warning(request, text)
        if request.method == "GET":
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return redirect(settings.LOGIN_URL)


# Pages a signed-in person without a second factor may still reach: enrolment, and the way out.
ENROLMENT_VIEWS = frozenset(
    {
        "account_logout",
        "account_reauthenticate",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_reauthenticate",
        "web:setlang",
        "web:enrol",
    }
)


class SecondFactorRequiredMiddleware:
    """No page but enrolment until the account has a TOTP app or a passkey (DESIGN §2)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        args: Any,
        kwargs: Any,
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.session.get(SECOND_FACTOR_OK):
            return None
        if has_second_factor(user):
            request.session[SECOND_FACTOR_OK] = True
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ENROLMENT_VIEWS:
            return None
        return redirect("web:enrol")
