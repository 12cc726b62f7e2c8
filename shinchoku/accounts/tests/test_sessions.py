"""Session controls: a fresh key at login, idle (30 min) and absolute (12 h) limits enforced by
the server and audited, an audited logout, and a cookie that dies with the browser (DESIGN T4)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.ops.demo import current_totp
from tests.personas import PASSWORD, Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

IDLE_MESSAGE = "30分間操作がなかったため、安全のためログアウトしました。もう一度ログインしてください。"
ABSOLUTE_MESSAGE = "ログインから12時間が経過したため、安全のためログアウトしました。もう一度ログインしてください。"


def _sign_in(client: Client, cast: Cast, user: User) -> TestResponse:
    """The real two-step login; returns the response that completes it."""
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp(cast.totp_secrets[user.email])})
    assert response.status_code == 302
    return response


def _timeouts(user: User) -> list[dict[str, object]]:
    return list(
        AuditEvent.objects.filter(event_type=EventType.AUTH_SESSION_TIMED_OUT, actor=user)
        .order_by("occurred_at")
        .values_list("details", flat=True)
    )


def _home(client: Client) -> TestResponse:
    return client.get(reverse("web:home"))


def test_signing_in_issues_a_new_session_key(client: Client, cast: Cast) -> None:
    anonymous = client.session
    anonymous["planted"] = "by an attacker"
    anonymous.save()
    planted_key = anonymous.session_key

    _sign_in(client, cast, cast.office_a_cm)

    signed_in_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert signed_in_key != planted_key
    assert not Session.objects.filter(session_key=planted_key).exists()
    assert _home(client).status_code == 200
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted_key  # type: ignore[assignment]
    assert attacker.get(reverse("web:home")).status_code == 302


def test_thirty_minutes_idle_ends_the_session_with_a_japanese_notice(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _sign_in(client, cast, user)
        assert _home(client).status_code == 200
        traveller.shift(timedelta(minutes=30, seconds=1))

        response = _home(client)

        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={reverse('web:home')}"
        login_page = client.get(response["Location"])
        assert IDLE_MESSAGE in login_page.content.decode()
        assert "_auth_user_id" not in client.session
        assert _home(client)["Location"].startswith(reverse("account_login"))
    assert _timeouts(user) == [{"reason": "idle"}]


def test_twenty_nine_minutes_idle_is_fine(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _sign_in(client, cast, user)
        assert _home(client).status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert _home(client).status_code == 200
    assert _timeouts(user) == []


def test_activity_keeps_the_session_alive_past_thirty_minutes(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _sign_in(client, cast, user)
        for _ in range(4):  # two hours in all, never more than 29 minutes idle
            traveller.shift(timedelta(minutes=29))
            assert _home(client).status_code == 200
    assert _timeouts(user) == []


def test_twelve_hours_end_even_an_active_session(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _sign_in(client, cast, user)
        elapsed = timedelta()
        while elapsed < timedelta(hours=12) - timedelta(minutes=20):
            traveller.shift(timedelta(minutes=20))
            elapsed += timedelta(minutes=20)
            assert _home(client).status_code == 200, elapsed
        traveller.shift(timedelta(hours=12) - elapsed + timedelta(minutes=1))

        response = _home(client)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert ABSOLUTE_MESSAGE in client.get(response["Location"]).content.decode()
    assert _timeouts(user) == [{"reason": "absolute"}]


def test_a_post_after_the_idle_limit_is_not_carried_out(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _sign_in(client, cast, user)
        traveller.shift(timedelta(minutes=31))
        response = client.post(reverse("accounts:sessions_end_others"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert not AuditEvent.objects.filter(event_type=EventType.AUTH_SESSION_ENDED, actor=user).exists()
    assert _timeouts(user) == [{"reason": "idle"}]


def test_signing_out_is_audited(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    _sign_in(client, cast, user)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert _home(client).status_code == 302
    assert AuditEvent.objects.filter(event_type=EventType.AUTH_LOGOUT_SUCCEEDED, actor=user).count() == 1
    assert _timeouts(user) == []


def test_the_session_cookie_is_httponly_lax_and_dies_with_the_browser(client: Client, cast: Cast) -> None:
    response = _sign_in(client, cast, cast.office_a_cm)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert cookie["path"] == "/"
    assert cookie["domain"] == ""
