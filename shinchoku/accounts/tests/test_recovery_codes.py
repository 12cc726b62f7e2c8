"""Recovery codes: someone who lost their authenticator app signs in with one of the codes they
printed at enrolment (each works once), then sets the app up again on a new phone (DESIGN T4)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.models import AuditEvent
from shinchoku.ops.demo import current_totp
from tests.personas import PASSWORD, Cast, signed_in_recently

pytestmark = pytest.mark.django_db

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
REPLACE = reverse("accounts:totp_replace")


def _codes(user: User) -> list[str]:
    codes: list[str] = RecoveryCodes(
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
    return codes


def _sign_in_with(client: Client, user: User, code: str) -> bool:
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": code})
    return client.get(reverse("web:home")).status_code == 200


def test_every_account_gets_ten_recovery_codes_with_its_second_factor(cast: Cast) -> None:
    assert len(_codes(cast.office_a_cm)) == 10


def test_a_recovery_code_signs_in_without_the_authenticator_app_and_is_audited(cast: Cast) -> None:
    user = cast.office_a_cm
    code = _codes(user)[0]

    assert _sign_in_with(Client(), user, code)

    used = AuditEvent.objects.get(event_type=EventType.AUTH_MFA_USED, actor=user)
    assert used.details["type"] == "recovery_codes"
    assert code not in _codes(user)
    assert len(_codes(user)) == 9


def test_a_recovery_code_works_only_once(cast: Cast) -> None:
    user = cast.office_a_cm
    code = _codes(user)[0]
    assert _sign_in_with(Client(), user, code)

    assert not _sign_in_with(Client(), user, code)

    assert AuditEvent.objects.filter(event_type=EventType.AUTH_MFA_FAILED, actor=user, outcome=Outcome.FAILURE).exists()


def test_after_signing_in_with_a_code_the_person_can_make_new_codes(cast: Cast) -> None:
    user = cast.office_a_cm
    client = Client()
    assert _sign_in_with(client, user, _codes(user)[0])
    old = set(_codes(user))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    response = client.post(reverse("mfa_generate_recovery_codes"))

    assert response.status_code == 302
    new = set(_codes(user))
    assert len(new) == 10
    assert not new & old


# -- setting up the authenticator app again (a lost or new phone) -----------------------------------


def test_after_a_recovery_code_the_person_sets_up_the_app_on_a_new_phone(
    cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    user = cast.office_a_cm
    old_secret = cast.totp_secrets[user.email]
    old_app = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    client = Client()
    assert _sign_in_with(client, user, _codes(user)[0])
    # Any change of factor asks for the password again first.
    assert client.get(REPLACE)["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    page = client.get(REPLACE)
    assert page.status_code == 200
    assert "認証アプリの再設定" in page.content.decode()
    new_secret = client.session[SECRET_SESSION_KEY]
    assert new_secret != old_secret
    wrong = client.post(REPLACE, {"code": f"{(int(current_totp(new_secret)) + 1) % 10**6:06d}"})
    assert wrong.status_code == 200
    assert Authenticator.objects.filter(pk=old_app.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(REPLACE, {"code": current_totp(new_secret)})

    assert done["Location"] == reverse("mfa_index")
    apps = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)
    assert apps.count() == 1 and apps.get().pk != old_app.pk
    assert len(_codes(user)) == 9  # the recovery codes stay
    removed = AuditEvent.objects.get(event_type=EventType.MFA_AUTHENTICATOR_REMOVED, actor=user)
    assert removed.target_id == str(old_app.pk)
    assert AuditEvent.objects.filter(
        event_type=EventType.MFA_AUTHENTICATOR_ADDED, actor=user, details__type="totp"
    ).exists()
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        assert not _sign_in_with(Client(), user, current_totp(old_secret))
    with time_machine.travel(timezone.now() + timedelta(seconds=62), tick=False):
        assert _sign_in_with(Client(), user, current_totp(new_secret))


def test_someone_without_an_authenticator_app_is_sent_to_set_one_up(cast: Cast) -> None:
    user = cast.a_staff
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "職場のPC"})
    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
    client = signed_in_recently(user)

    assert client.get(REPLACE)["Location"] == reverse("mfa_activate_totp")
