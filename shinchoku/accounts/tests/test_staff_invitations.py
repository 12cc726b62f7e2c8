"""Admins invite their staff, see who has accepted, re-send and cancel invitations; nobody sets
another person's password (DESIGN §2, T3, T4)."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.invitations import invitation_issue
from shinchoku.accounts.models import Invitation, User
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import staff_invite, user_create
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from tests.personas import PASSWORD, Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
INVITE = reverse("accounts:user_invite")
NEW_PASSWORD = "the tide comes in over the long grey stones"


def _page(response: TestResponse) -> str:
    return response.content.decode()


def _invite(client: Client, capture: CaptureOnCommit, **data: str) -> TestResponse:
    with capture(execute=True):
        return client.post(INVITE, {"display_name": "新井 ケア子", "email": "new-cm@test.example", **data})


def _link(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://[^/\s]+(/invitation/[A-Za-z0-9_-]+/)", str(message.body))
    assert found is not None, message.body
    return found.group(1)


def _row(page: str, email: str) -> str:
    """The table row of the staff list that holds ``email``."""
    for row in re.findall(r"<tr>.*?</tr>", page, flags=re.S):
        if email in row:
            return str(row)
    raise AssertionError(f"{email} is not listed")


# -- inviting ----------------------------------------------------------------------------------


def test_an_office_admin_invites_a_care_manager_to_their_own_office(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.office_a_admin)
    form = client.get(INVITE)
    assert form.status_code == 200
    assert 'name="role"' not in _page(form)
    assert "ケアマネジャー" in _page(form)

    response = _invite(client, django_capture_on_commit_callbacks, email=" New-CM@Test.example ")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user_list")
    invited = User.objects.get(email="new-cm@test.example")
    assert (invited.role, invited.office, invited.insurer) == (Role.CARE_MANAGER, cast.office_a, None)
    assert invited.display_name == "新井 ケア子"
    assert not invited.has_usable_password()
    assert Invitation.objects.filter(user=invited, used_at__isnull=True).count() == 1
    [message] = mail.outbox
    assert message.to == ["new-cm@test.example"]
    assert cast.office_a.name in str(message.body)
    created = AuditEvent.objects.get(event_type=EventType.ACCOUNTS_USER_CREATED, target_id=str(invited.pk))
    issued = AuditEvent.objects.get(event_type=EventType.ACCOUNTS_INVITATION_ISSUED, target_id=str(invited.pk))
    assert created.actor == issued.actor == cast.office_a_admin
    assert created.office == issued.office == cast.office_a


def test_an_office_admin_cannot_pick_another_role_or_office(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.office_a_admin)

    _invite(
        client,
        django_capture_on_commit_callbacks,
        role=Role.OFFICE_ADMIN,
        office=str(cast.office_b.pk),
        insurer=str(cast.insurer_a.pk),
    )

    invited = User.objects.get(email="new-cm@test.example")
    assert (invited.role, invited.office_id, invited.insurer_id) == (Role.CARE_MANAGER, cast.office_a.pk, None)


@pytest.mark.parametrize("role", [Role.INSURER_STAFF, Role.AUDITOR, Role.OPERATOR, Role.INSURER_ADMIN])
def test_an_insurer_admin_invites_staff_auditors_operators_and_deputies(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit, role: Role
) -> None:
    client = sign_in(cast.a_admin)

    response = _invite(client, django_capture_on_commit_callbacks, email="new-a@test.example", role=role.value)

    assert response.status_code == 302
    invited = User.objects.get(email="new-a@test.example")
    assert (invited.role, invited.insurer, invited.office) == (role, cast.insurer_a, None)


@pytest.mark.parametrize("role", ["", Role.CARE_MANAGER, Role.OFFICE_ADMIN, Role.PLATFORM_ADMIN, "boss"])
def test_an_insurer_admin_must_choose_one_of_the_insurers_roles(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit, role: str
) -> None:
    client = sign_in(cast.a_admin)

    response = _invite(client, django_capture_on_commit_callbacks, email="new-a@test.example", role=role)

    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert not User.objects.filter(email="new-a@test.example").exists()
    assert mail.outbox == []


def test_an_address_already_registered_is_a_clear_error_and_nothing_is_written(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.office_a_admin)
    before = AuditEvent.objects.count()

    # Someone of another tenant holds the address: the error says only that it is taken.
    response = _invite(client, django_capture_on_commit_callbacks, email=cast.b_staff.email.upper())

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["このメールアドレスは既に登録されています。"]
    page = _page(response)
    assert 'aria-invalid="true"' in page
    assert "id_email_error" in page
    assert AuditEvent.objects.count() == before
    assert mail.outbox == []
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"display_name": "   "}, "display_name", "氏名を入力してください。"),
        ({"email": "new-cm@"}, "email", "メールアドレスの形式が正しくありません"),
        ({"email": ""}, "email", "メールアドレスを入力してください。"),
    ],
)
def test_missing_or_malformed_input_is_named(  # noqa: PLR0917 - pytest passes fixtures by position
    cast: Cast,
    sign_in: SignIn,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    client = sign_in(cast.office_a_admin)

    response = _invite(client, django_capture_on_commit_callbacks, **data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert User.objects.count() == len(cast.everyone())


def test_staff_invite_refuses_a_role_the_actor_may_not_give(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        staff_invite(actor=cast.office_a_admin, email="x@test.example", display_name="X", role=Role.OFFICE_ADMIN)
    with pytest.raises(PermissionDenied):
        staff_invite(actor=cast.a_staff, email="x@test.example", display_name="X", role=Role.INSURER_STAFF)
    assert not User.objects.filter(email="x@test.example").exists()


# -- nobody chooses another person's password -------------------------------------------------------


def test_a_password_sent_with_an_invitation_is_ignored(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.office_a_admin)
    assert "password" not in _page(client.get(INVITE)).lower()

    _invite(
        client,
        django_capture_on_commit_callbacks,
        password=NEW_PASSWORD,
        password1=NEW_PASSWORD,
        password2=NEW_PASSWORD,
    )

    invited = User.objects.get(email="new-cm@test.example")
    assert not invited.has_usable_password()
    assert not invited.check_password(NEW_PASSWORD)


def test_a_password_sent_to_an_accounts_page_is_ignored(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)
    url = reverse("accounts:user_detail", kwargs={"user_id": cast.a_staff.pk})
    assert 'type="password"' not in _page(client.get(url))

    for target in (url, reverse("accounts:second_factor_reset", kwargs={"user_id": cast.a_staff.pk})):
        client.post(target, {"password": NEW_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    staff = User.objects.get(pk=cast.a_staff.pk)
    assert staff.check_password(PASSWORD)
    assert not staff.check_password(NEW_PASSWORD)
    assert not AuditEvent.objects.filter(event_type=EventType.AUTH_PASSWORD_CHANGED).exists()


# -- the list and the account's page ------------------------------------------------------------------


def test_the_list_shows_invited_active_disabled_and_the_second_factor(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.office_a_admin)
    _invite(client, django_capture_on_commit_callbacks, email="invited@test.example")
    _invite(client, django_capture_on_commit_callbacks, email="lapsed@test.example")
    _invite(client, django_capture_on_commit_callbacks, email="left@test.example")
    lapsed = User.objects.get(email="lapsed@test.example")
    Invitation.objects.filter(user=lapsed).update(expires_at=timezone.now() - timedelta(minutes=1))
    client.post(
        reverse("accounts:user_detail", kwargs={"user_id": User.objects.get(email="left@test.example").pk}),
        {"reason": "退職"},
    )
    no_factor = user_create(
        actor=None,
        email="nofactor@test.example",
        display_name="二要素未設定",
        role=Role.CARE_MANAGER,
        office=cast.office_a,
        password=PASSWORD,
    )
    open_until = Invitation.objects.get(user__email="invited@test.example").expires_at

    page = _page(client.get(reverse("accounts:user_list")))

    invited_row = _row(page, "invited@test.example")
    assert "招待中" in invited_row
    assert timezone.localtime(open_until).strftime("%Y/%m/%d %H:%M") in invited_row
    assert "招待の期限切れ" in _row(page, "lapsed@test.example")
    assert "無効" in _row(page, "left@test.example")
    active = _row(page, cast.office_a_cm.email)
    assert "有効" in active and "設定済み" in active
    assert "未設定" in _row(page, no_factor.email)
    assert page.count("<tr>") == 1 + 6  # header + office A's admin, care manager and the four above


def test_the_list_takes_the_same_number_of_queries_however_many_people(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    client.get(reverse("accounts:user_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:user_list"))
    for n in range(5):
        invited = user_create(
            actor=None,
            email=f"many-{n}@test.example",
            display_name=f"職員{n}",
            role=Role.CARE_MANAGER,
            office=cast.office_a,
        )
        invitation_issue(actor=None, user=invited)

    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("accounts:user_list"))

    assert response.content.decode().count("招待中") == 5
    assert len(many) == len(few)


def test_resending_sends_a_new_link_and_the_old_one_stops_working(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.office_a_admin)
    _invite(client, django_capture_on_commit_callbacks)
    invited = User.objects.get(email="new-cm@test.example")
    old_link = _link(mail.outbox[0])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invitation_resend", kwargs={"user_id": invited.pk}))

    assert response["Location"] == reverse("accounts:user_detail", kwargs={"user_id": invited.pk})
    assert len(mail.outbox) == 2
    new_link = _link(mail.outbox[1])
    assert new_link != old_link
    assert Client().get(old_link).status_code == 410
    assert Client().get(new_link).status_code == 200
    assert AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_INVITATION_REVOKED).count() == 1
    assert AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_INVITATION_ISSUED).count() == 2


def test_an_expired_invitation_can_be_resent(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.office_a_admin)
    _invite(client, django_capture_on_commit_callbacks)
    invited = User.objects.get(email="new-cm@test.example")

    with time_machine.travel(timezone.now() + timedelta(days=30)):
        client = Client()
        client.force_login(cast.office_a_admin)
        detail = client.get(reverse("accounts:user_detail", kwargs={"user_id": invited.pk}))
        assert "期限が切れたか" in _page(detail)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("accounts:invitation_resend", kwargs={"user_id": invited.pk}))
        assert Client().get(_link(mail.outbox[-1])).status_code == 200


def test_cancelling_stops_the_link_and_the_account_stays_without_a_password(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.office_a_admin)
    _invite(client, django_capture_on_commit_callbacks)
    invited = User.objects.get(email="new-cm@test.example")
    link = _link(mail.outbox[0])

    response = client.post(reverse("accounts:invitation_cancel", kwargs={"user_id": invited.pk}), follow=True)

    assert "招待を取り消しました" in _page(response)
    assert Client().get(link).status_code == 410
    [event] = AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_INVITATION_REVOKED)
    assert (event.actor, event.target_id, event.details["reason"]) == (
        cast.office_a_admin,
        str(invited.pk),
        "cancelled",
    )
    invited.refresh_from_db()
    assert invited.is_active and not invited.has_usable_password()
    again = client.post(reverse("accounts:invitation_cancel", kwargs={"user_id": invited.pk}), follow=True)
    assert "取り消す招待はありませんでした" in _page(again)


def test_someone_who_has_set_a_password_cannot_be_sent_an_invitation(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)

    response = client.post(reverse("accounts:invitation_resend", kwargs={"user_id": cast.office_a_cm.pk}), follow=True)

    assert "すでにパスワードを設定済み" in _page(response)
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_disabled_account_cannot_be_sent_an_invitation(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.office_a_admin)
    _invite(client, django_capture_on_commit_callbacks)
    invited = User.objects.get(email="new-cm@test.example")
    client.post(reverse("accounts:user_detail", kwargs={"user_id": invited.pk}), {"reason": "誤登録"})
    mail.outbox.clear()

    response = client.post(reverse("accounts:invitation_resend", kwargs={"user_id": invited.pk}), follow=True)

    assert "無効になっているアカウントには招待を送れません" in _page(response)
    assert mail.outbox == []


@pytest.mark.parametrize("route", ["accounts:invitation_resend", "accounts:invitation_cancel"])
def test_another_tenants_admin_finds_no_such_account(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit, route: str
) -> None:
    _invite(sign_in(cast.office_a_admin), django_capture_on_commit_callbacks)
    invited = User.objects.get(email="new-cm@test.example")
    for outsider in (cast.office_b_admin, cast.a_admin, cast.platform_admin):
        client = Client()
        client.force_login(outsider)
        assert client.post(reverse(route, kwargs={"user_id": invited.pk})).status_code == 404
    assert Invitation.objects.get(user=invited).revoked_at is None
    assert len(mail.outbox) == 1


# -- from invitation to first sign-in ---------------------------------------------------------------


def test_the_invited_person_sets_a_password_and_is_active_once_enrolled(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    admin = sign_in(cast.office_a_admin)
    _invite(admin, django_capture_on_commit_callbacks)
    newcomer = Client()

    done = newcomer.post(_link(mail.outbox[0]), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done["Location"] == reverse("web:enrol")
    row = _row(_page(admin.get(reverse("accounts:user_list"))), "new-cm@test.example")
    assert "有効" in row and "招待中" not in row
    assert "未設定" in row  # no second factor yet
