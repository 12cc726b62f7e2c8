"""Per-account lockout (django-axes): 10 consecutive failures lock the account for 30 minutes,
and a locked account answers exactly like a wrong password or an unknown account (DESIGN T4)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.models import AuditEvent
from tests.personas import PASSWORD, Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

WRONG = "not the password at all"
GENERIC_ERROR = "入力されたメールアドレスもしくはパスワードが正しくありません"
UNKNOWN_EMAIL = "nobody-here@test.example"


def _attempt(client: Client, login: str, password: str) -> TestResponse:
    return client.post(reverse("account_login"), {"login": login, "password": password})


def _fail_ten_times(client: Client, login: str) -> None:
    for _ in range(10):
        response = _attempt(client, login, WRONG)
        assert response.status_code == 200


def _page(response: TestResponse, login: str) -> str:
    """The page with what differs per render (CSRF token, CSP nonce) and the typed login blanked."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', text)
    text = re.sub(r'nonce="[^"]+"', 'nonce=""', text)
    return text.replace(login, "LOGIN")


def test_after_ten_failures_the_right_password_is_refused_like_a_wrong_one(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    # References taken first, while nothing is locked: a wrong password and an unknown account.
    wrong = _attempt(Client(), cast.office_b_cm.email, WRONG)
    unknown = _attempt(Client(), UNKNOWN_EMAIL, WRONG)
    _fail_ten_times(client, user.email)

    locked = _attempt(client, user.email, PASSWORD)

    assert locked.status_code == wrong.status_code == unknown.status_code == 200
    assert GENERIC_ERROR in locked.content.decode()
    assert _page(locked, user.email) == _page(wrong, cast.office_b_cm.email) == _page(unknown, UNKNOWN_EMAIL)
    assert "_auth_user_id" not in client.session
    assert "mfa_authenticate" not in locked.get("Location", "")


def test_nine_failures_do_not_lock_the_account(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    for _ in range(9):
        _attempt(client, user.email, WRONG)
    response = _attempt(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")


def test_a_locked_account_is_still_refused_29_minutes_later(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _fail_ten_times(client, user.email)
        traveller.shift(timedelta(minutes=29))
        response = _attempt(client, user.email, PASSWORD)
    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()


def test_a_locked_account_accepts_the_right_password_after_31_minutes(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _fail_ten_times(client, user.email)
        traveller.shift(timedelta(minutes=31))
        response = _attempt(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")


def test_case_and_space_variants_of_the_email_share_one_counter(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    variants = [user.email.upper(), f"  {user.email}  ", user.email.title(), f" {user.email.upper()}"]
    for attempt in range(10):
        _attempt(client, variants[attempt % len(variants)], WRONG)

    response = _attempt(client, user.email, PASSWORD)

    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()


def test_the_lockout_and_each_failure_are_audited(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    _fail_ten_times(client, user.email)
    _attempt(client, user.email, PASSWORD)

    failures = AuditEvent.objects.filter(event_type=EventType.AUTH_LOGIN_FAILED, actor=user)
    assert failures.count() == 11
    assert set(failures.values_list("outcome", flat=True)) == {Outcome.FAILURE}
    assert failures.order_by("pk").last().details == {"locked": True}  # type: ignore[union-attr]
    lockouts = AuditEvent.objects.filter(event_type=EventType.AUTH_LOCKOUT_TRIGGERED, actor=user)
    assert lockouts.exists()
    assert set(lockouts.values_list("outcome", flat=True)) == {Outcome.DENIED}
    assert not AuditEvent.objects.filter(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=user).exists()


def test_a_failure_for_an_unknown_account_is_audited_under_the_typed_login(client: Client, cast: Cast) -> None:
    _attempt(client, UNKNOWN_EMAIL.upper(), WRONG)
    event = AuditEvent.objects.get(event_type=EventType.AUTH_LOGIN_FAILED)
    assert event.actor is None
    assert event.actor_label == UNKNOWN_EMAIL


def test_an_unknown_account_fails_exactly_like_a_wrong_password(client: Client, cast: Cast) -> None:
    wrong = _attempt(client, cast.office_a_cm.email, WRONG)
    unknown = _attempt(Client(), UNKNOWN_EMAIL, WRONG)

    assert wrong.status_code == unknown.status_code == 200
    assert GENERIC_ERROR in unknown.content.decode()
    assert wrong.context["form"].errors == unknown.context["form"].errors
    assert _page(wrong, cast.office_a_cm.email) == _page(unknown, UNKNOWN_EMAIL)
