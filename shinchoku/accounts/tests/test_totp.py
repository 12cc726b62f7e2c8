"""TOTP second factor: a code works once, a wrong one is refused and audited, the secret is
encrypted at rest, and the last authenticator app cannot be removed (DESIGN T4, T5)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from shinchoku.accounts.adapters import MFAAdapter
from shinchoku.accounts.middleware import ENROLMENT_VIEWS
from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.models import AuditEvent
from shinchoku.ops.demo import current_totp
from tests.personas import PASSWORD, Cast, make_user

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

INCORRECT_CODE = "コードが正しくありません"


def _password_step(client: Client, user: User) -> None:
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")


def _code_step(client: Client, code: str) -> TestResponse:
    return client.post(reverse("mfa_authenticate"), {"code": code})


def _signed_in(client: Client) -> bool:
    return client.get(reverse("web:home")).status_code == 200


def _another_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _reauthenticate(client: Client) -> None:
    # Removing a factor asks for the password again (allauth's reauthentication, 5 minutes).
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def _totp(user: User) -> Authenticator:
    found: Authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return found


def test_a_valid_code_signs_in(client: Client, cast: Cast) -> None:
    user = cast.a_staff
    _password_step(client, user)
    response = _code_step(client, current_totp(cast.totp_secrets[user.email]))
    assert response.status_code == 302
    assert _signed_in(client)


def test_the_same_code_cannot_be_used_twice_within_its_step(cast: Cast) -> None:
    user = cast.a_staff
    with time_machine.travel(timezone.now(), tick=False):
        code = current_totp(cast.totp_secrets[user.email])
        first, second = Client(), Client()
        _password_step(first, user)
        assert _code_step(first, code).status_code == 302
        assert _signed_in(first)

        _password_step(second, user)
        replay = _code_step(second, code)

        assert replay.status_code == 200
        assert INCORRECT_CODE in replay.content.decode()
        assert not _signed_in(second)
    assert AuditEvent.objects.filter(event_type=EventType.AUTH_MFA_FAILED, actor=user).count() == 1


def test_a_wrong_code_is_refused_and_audited(client: Client, cast: Cast) -> None:
    user = cast.a_staff
    with time_machine.travel(timezone.now(), tick=False):
        _password_step(client, user)
        response = _code_step(client, _another_code(current_totp(cast.totp_secrets[user.email])))
        assert response.status_code == 200
        assert INCORRECT_CODE in response.content.decode()
        assert not _signed_in(client)
    event = AuditEvent.objects.get(event_type=EventType.AUTH_MFA_FAILED, actor=user)
    assert event.outcome == Outcome.FAILURE
    assert event.details == {"type": "totp"}
    assert not AuditEvent.objects.filter(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=user).exists()


def test_a_code_from_the_previous_step_is_refused(client: Client, cast: Cast) -> None:
    user = cast.a_staff
    now = timezone.now().timestamp()
    with time_machine.travel(now, tick=False):
        _password_step(client, user)
        stale = current_totp(cast.totp_secrets[user.email], at=now - 30)
        if stale == current_totp(cast.totp_secrets[user.email]):
            pytest.skip("two consecutive steps happened to share a code")
        assert _code_step(client, stale).status_code == 200
        assert not _signed_in(client)


def test_the_totp_secret_is_stored_encrypted(cast: Cast) -> None:
    user = cast.a_staff
    secret = cast.totp_secrets[user.email]
    stored = _totp(user).data

    assert secret not in json.dumps(stored)
    assert secret.lower() not in json.dumps(stored).lower()
    assert MFAAdapter().decrypt(stored["secret"]) == secret


def test_the_last_authenticator_app_cannot_be_deactivated(client: Client, cast: Cast) -> None:
    user = cast.a_staff
    _password_step(client, user)
    _code_step(client, current_totp(cast.totp_secrets[user.email]))
    _reauthenticate(client)

    assert MFAAdapter().can_delete_authenticator(_totp(user)) is False
    page = client.get(reverse("mfa_deactivate_totp"))
    assert page.status_code == 200
    assert page.context["form"].errors
    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 200
    assert response.context["form"].errors
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert not AuditEvent.objects.filter(event_type=EventType.MFA_AUTHENTICATOR_REMOVED, actor=user).exists()


def test_an_authenticator_app_can_be_deactivated_while_a_passkey_remains(client: Client, cast: Cast) -> None:
    user = cast.a_staff
    # Only the row's type matters to the rule; a real passkey would need a browser ceremony.
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "laptop"})
    _password_step(client, user)
    _code_step(client, current_totp(cast.totp_secrets[user.email]))
    _reauthenticate(client)

    assert MFAAdapter().can_delete_authenticator(_totp(user)) is True
    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert AuditEvent.objects.filter(event_type=EventType.MFA_AUTHENTICATOR_REMOVED, actor=user).exists()


# --- The second factor is mandatory --------------------------------------------------------


def _walkable_paths() -> list[str]:
    """Every routed path, with each path parameter filled by "1" (regex routes skipped)."""
    paths: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for entry in patterns:
            if not isinstance(entry.pattern, RoutePattern):
                continue
            route = prefix + re.sub(r"<[^>]+>", "1", str(entry.pattern))
            if isinstance(entry, URLResolver):
                walk(list(entry.url_patterns), route)
            else:
                paths.append("/" + route)

    walk(list(get_resolver().url_patterns), "")
    return paths


@pytest.fixture
def newcomer(cast: Cast) -> User:
    """A care manager whose account exists but has no second factor yet."""
    return make_user("newcomer@test.example", Role.CARE_MANAGER, office=cast.office_a, second_factor=False)


def test_a_user_without_a_second_factor_is_sent_to_enrolment_from_every_page(client: Client, newcomer: User) -> None:
    response = client.post(reverse("account_login"), {"login": newcomer.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("web:enrol")

    walked = []
    for path in _walkable_paths():
        if resolve(path).view_name in ENROLMENT_VIEWS:
            continue
        walked.append(path)
        page = client.get(path)
        assert page.status_code == 302, path
        assert page["Location"] == reverse("web:enrol"), path
    assert {reverse("web:home"), reverse("accounts:security"), reverse("mfa_index")} <= set(walked)
    assert client.get(reverse("web:enrol")).status_code == 200


def test_activating_an_authenticator_app_opens_the_service(
    client: Client,
    newcomer: User,
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[list[Callable[[], None]]]],
) -> None:
    client.post(reverse("account_login"), {"login": newcomer.email, "password": PASSWORD})
    _reauthenticate(client)
    form = client.get(reverse("mfa_activate_totp"))
    assert form.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": current_totp(secret)})

    assert response.status_code == 302
    assert _totp(newcomer)
    home = client.get(reverse("web:home"))
    assert home.status_code == 200
    added = AuditEvent.objects.filter(event_type=EventType.MFA_AUTHENTICATOR_ADDED, actor=newcomer)
    assert added.filter(details__type="totp").exists()


def test_activation_refuses_a_wrong_code_and_keeps_the_account_closed(client: Client, newcomer: User) -> None:
    client.post(reverse("account_login"), {"login": newcomer.email, "password": PASSWORD})
    _reauthenticate(client)
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(reverse("mfa_activate_totp"), {"code": _another_code(current_totp(secret))})

    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=newcomer).exists()
    assert client.get(reverse("web:home"))["Location"] == reverse("web:enrol")
