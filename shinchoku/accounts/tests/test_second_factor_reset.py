"""An admin resets the second factor of someone who lost it and has no recovery code left:
with a reason, audited, e-mailed to the person, never one's own (DESIGN T4)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from allauth.usersessions.models import UserSession
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.accounts.services import second_factor_reset
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.ops.demo import current_totp
from tests.personas import PASSWORD, Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
REASON = "スマートフォンを紛失、リカバリーコードも紛失(電話で本人確認済み)"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _log_in(cast: Cast, user: User, clock: time_machine.Traveller) -> Client:
    clock.shift(timedelta(seconds=31))
    client = Client()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp(cast.totp_secrets[user.email])})
    assert response.status_code == 302
    return client


def _reset_url(user: User) -> str:
    return reverse("accounts:second_factor_reset", kwargs={"user_id": user.pk})


def _reset(client: Client, user: User, capture: CaptureOnCommit, reason: str = REASON) -> TestResponse:
    with capture(execute=True):
        return client.post(_reset_url(user), {"reason": reason})


def _give_passkey(user: User) -> None:
    # Only the rows matter to the reset; a real passkey would need a browser ceremony.
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "職場のPC"})


def test_the_reset_removes_every_authenticator_ends_sessions_audits_and_tells_the_person(
    cast: Cast, clock: time_machine.Traveller, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    person = cast.office_a_cm
    _give_passkey(person)
    types = set(Authenticator.objects.filter(user=person).values_list("type", flat=True))
    assert types == {"totp", "recovery_codes", "webauthn"}
    on_tablet = _log_in(cast, person, clock)
    admin = _log_in(cast, cast.office_a_admin, clock)

    response = _reset(admin, person, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user_detail", kwargs={"user_id": person.pk})
    assert not Authenticator.objects.filter(user=person).exists()
    assert not UserSession.objects.filter(user=person).exists()
    assert on_tablet.get(reverse("web:home"))["Location"].startswith(reverse("account_login"))
    [event] = AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_SECOND_FACTOR_RESET)
    assert (event.actor, event.target_id, event.office) == (cast.office_a_admin, str(person.pk), cast.office_a)
    assert event.details == {
        "reason": REASON,
        "removed": ["recovery_codes", "totp", "webauthn"],
        "sessions_ended": 1,
    }
    removed = AuditEvent.objects.filter(event_type=EventType.MFA_AUTHENTICATOR_REMOVED)
    assert removed.count() == 3
    assert {(e.actor_id, e.office_id, e.details["owner"]) for e in removed} == {
        (cast.office_a_admin.pk, cast.office_a.pk, person.pk)
    }
    [message] = mail.outbox
    assert message.to == [person.email]
    assert "二要素認証がリセットされました" in message.subject
    body = str(message.body)
    assert f"{cast.office_a.name}の{cast.office_a_admin.display_name}さん" in body
    assert f"理由: {REASON}" in body
    assert "次にログインしたとき" in body
    # The admin stays signed in.
    assert admin.get(reverse("web:home")).status_code == 200


def test_the_next_sign_in_takes_the_password_only_and_forces_a_new_second_factor(
    cast: Cast, clock: time_machine.Traveller, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    person = cast.office_a_cm
    admin = _log_in(cast, cast.office_a_admin, clock)
    _reset(admin, person, django_capture_on_commit_callbacks)
    client = Client()

    signed = client.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})

    # No code is asked (there is none), but nothing opens before enrolment.
    assert signed.status_code == 302
    assert client.get(reverse("web:home"))["Location"] == reverse("web:enrol")
    assert client.get(reverse("lookup:lookup"))["Location"] == reverse("web:enrol")
    assert client.get(reverse("web:enrol")).status_code == 200
    # allauth asks for the password once more before a factor is added, as at first enrolment.
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_activate_totp"), {"code": current_totp(secret)})
    assert client.get(reverse("web:home")).status_code == 200
    # One authenticator app: the new one.
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).count() == 1


def test_a_reason_is_required_and_nothing_happens_without_one(
    cast: Cast, sign_in: Callable[[User], Client], django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.office_a_admin)

    response = _reset(client, cast.office_a_cm, django_capture_on_commit_callbacks, reason="  ")

    assert response.status_code == 200
    assert response.context["reset_form"].errors["reason"]
    assert "リセットの理由を入力してください" in response.content.decode()
    assert Authenticator.objects.filter(user=cast.office_a_cm).exists()
    assert not AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_SECOND_FACTOR_RESET).exists()
    assert mail.outbox == []


def test_the_reset_and_the_disable_boxes_each_have_their_own_label(
    cast: Cast, sign_in: Callable[[User], Client]
) -> None:
    # Both forms on the person's page have a "reason": with the same id, both labels would name
    # the first box and a screen reader user would type the reason to disable into the reset.
    page = sign_in(cast.office_a_admin).get(reverse("accounts:user_detail", kwargs={"user_id": cast.office_a_cm.pk}))
    html = page.content.decode()

    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    for label, box in (("リセットの理由", "id_reset_reason"), ("無効化の理由", "id_disable_reason")):
        assert re.search(rf'<label for="{box}">{label}', html), label
        assert f'id="{box}"' in html


def test_nobody_resets_their_own_second_factor_this_way(
    cast: Cast, sign_in: Callable[[User], Client], django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.a_admin)
    page = client.get(reverse("accounts:user_detail", kwargs={"user_id": cast.a_admin.pk})).content.decode()
    assert "二要素認証をリセットする" not in page

    response = _reset(client, cast.a_admin, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=cast.a_admin).exists()
    assert not AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_SECOND_FACTOR_RESET).exists()
    with pytest.raises(PermissionDenied):
        second_factor_reset(actor=cast.a_admin, user=cast.a_admin, reason=REASON)


def test_there_is_nothing_to_reset_for_someone_without_a_second_factor(
    cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    Authenticator.objects.filter(user=cast.a_staff).delete()

    with pytest.raises(ValidationError):
        second_factor_reset(actor=cast.a_admin, user=cast.a_staff, reason=REASON)

    assert not AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_SECOND_FACTOR_RESET).exists()


@pytest.mark.parametrize(
    ("admin", "person"),
    [
        ("office_a_admin", "office_a_cm"),
        ("a_admin", "a_staff"),
        ("a_admin", "a_auditor"),
        ("platform_admin", "a_admin"),
    ],
)
def test_each_admin_resets_the_people_they_manage(
    cast: Cast,
    sign_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: CaptureOnCommit,
    admin: str,
    person: str,
) -> None:
    client = sign_in(getattr(cast, admin))
    subject: User = getattr(cast, person)
    page = client.get(reverse("accounts:user_detail", kwargs={"user_id": subject.pk})).content.decode()
    assert "二要素認証をリセットする" in page

    assert _reset(client, subject, django_capture_on_commit_callbacks).status_code == 302

    assert not Authenticator.objects.filter(user=subject).exists()


@pytest.mark.parametrize(
    ("admin", "person"),
    [
        ("office_b_admin", "office_a_cm"),  # another office
        ("a_admin", "office_a_cm"),  # an insurer's admin and an office's people
        ("b_admin", "a_staff"),  # another insurer
        ("platform_admin", "a_staff"),  # the platform admin manages insurer admins only
        ("office_a_cm", "office_a_admin"),  # no permission at all: 403
    ],
)
def test_nobody_resets_someone_they_do_not_manage(
    cast: Cast,
    sign_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: CaptureOnCommit,
    admin: str,
    person: str,
) -> None:
    client = sign_in(getattr(cast, admin))
    subject: User = getattr(cast, person)

    response = _reset(client, subject, django_capture_on_commit_callbacks)

    assert response.status_code in {403, 404}
    assert response.status_code == (403 if admin == "office_a_cm" else 404)
    assert Authenticator.objects.filter(user=subject).exists()
    assert mail.outbox == []
