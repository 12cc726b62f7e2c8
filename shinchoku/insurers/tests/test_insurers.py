"""Platform admins add insurers with their first admin, invite more admins, and see whose
invitation is still open — without a password ever being chosen for anyone (DESIGN §2, T4)."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import pytest
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import Invitation, User
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import totp_enrol_for_setup
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.insurers.models import Insurer
from shinchoku.insurers.services import insurer_onboard
from shinchoku.lib.identifiers import check_insurer_number
from tests.personas import Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
CREATE = reverse("insurers:insurer_create")
# A synthetic insurer: 472019 has a valid check digit; 472011 does not.
GOOD = {"number": "472019", "name": "那覇市", "display_name": "比嘉 太郎", "email": "higa@test.example"}


def _page(response: TestResponse) -> str:
    return response.content.decode()


def _create(client: Client, capture: CaptureOnCommit, **data: str) -> TestResponse:
    with capture(execute=True):
        return client.post(CREATE, {**GOOD, **data})


@pytest.fixture
def good_number() -> str:
    checked = check_insurer_number(GOOD["number"])
    assert checked.warning is None, "the test number must have a valid check digit"
    return checked.value


def test_a_platform_admin_adds_an_insurer_and_invites_its_first_admin(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit, good_number: str
) -> None:
    client = sign_in(cast.platform_admin)
    assert client.get(CREATE).status_code == 200

    response = _create(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("insurers:insurer_list")
    insurer = Insurer.objects.get(number=good_number)
    assert insurer.name == "那覇市"
    admin = User.objects.get(email="higa@test.example")
    assert (admin.role, admin.insurer, admin.office) == (Role.INSURER_ADMIN, insurer, None)
    assert not admin.has_usable_password()
    assert Invitation.objects.filter(user=admin, created_by=cast.platform_admin).count() == 1
    [created] = AuditEvent.objects.filter(event_type=EventType.INSURERS_INSURER_CREATED, insurer=insurer)
    assert created.actor == cast.platform_admin
    issued = AuditEvent.objects.get(event_type=EventType.ACCOUNTS_INVITATION_ISSUED, target_id=str(admin.pk))
    assert issued.insurer == insurer
    [message] = mail.outbox
    assert message.to == ["higa@test.example"]
    body = str(message.body)
    assert "那覇市" in body and "保険者管理者" in body
    assert f"基盤管理者の{cast.platform_admin.display_name}さん" in body
    listed = _page(client.get(reverse("insurers:insurer_list")))
    assert "那覇市" in listed and "比嘉 太郎" in listed and "招待中" in listed


def test_the_new_admin_accepts_and_can_invite_the_insurers_staff(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    _create(sign_in(cast.platform_admin), django_capture_on_commit_callbacks)
    link = re.search(r"/invitation/[A-Za-z0-9_-]+/", str(mail.outbox[0].body))
    assert link is not None
    password = "sunrise over the coral sea at six"

    Client().post(link.group(0), {"password1": password, "password2": password})

    admin = User.objects.get(email="higa@test.example")
    assert admin.check_password(password)
    totp_enrol_for_setup(actor=None, user=admin, secret=generate_totp_secret())
    client = Client()
    client.force_login(admin)
    form = _page(client.get(reverse("accounts:user_invite")))
    assert "那覇市 の職員として" in form
    assert "認定係職員" in form


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"number": "43100"}, "number", "保険者番号は6桁の数字で入力してください。"),
        ({"number": "431007"}, "number", "既に存在します"),  # 熊本市, in the cast
        ({"name": " "}, "name", "保険者名を入力してください。"),
        ({"email": "a-staff@test.example"}, "email", "このメールアドレスは既に登録されています。"),
        ({"email": "not-an-address"}, "email", "メールアドレスの形式が正しくありません"),
        ({"display_name": ""}, "display_name", "氏名を入力してください。"),
    ],
)
def test_bad_input_is_named_on_its_field_and_nothing_is_created(  # noqa: PLR0917 - pytest passes fixtures by position
    cast: Cast,
    sign_in: SignIn,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    client = sign_in(cast.platform_admin)
    insurers, users, events = Insurer.objects.count(), User.objects.count(), AuditEvent.objects.count()

    response = _create(client, django_capture_on_commit_callbacks, **data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert (Insurer.objects.count(), User.objects.count(), AuditEvent.objects.count()) == (insurers, users, events)
    assert mail.outbox == []


def test_a_number_whose_check_digit_does_not_match_is_warned_then_accepted_when_sent_again(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.platform_admin)

    first = _create(client, django_capture_on_commit_callbacks, number="472011")

    assert first.status_code == 200
    assert "検査数字が一致しません" in " ".join(first.context["form"].errors["number"])
    assert not Insurer.objects.filter(number="472011").exists()
    assert 'name="confirmed_number" value="472011"' in _page(first)

    second = _create(client, django_capture_on_commit_callbacks, number="４７２０１１", confirmed_number="472011")

    assert second.status_code == 302
    created = AuditEvent.objects.get(event_type=EventType.INSURERS_INSURER_CREATED, insurer__number="472011")
    assert created.details["check_digit_warning"] is True


def test_a_platform_admin_invites_another_admin_for_an_existing_insurer(
    cast: Cast, sign_in: SignIn, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    client = sign_in(cast.platform_admin)
    url = reverse("insurers:insurer_admin_invite", kwargs={"insurer_id": cast.insurer_b.pk})
    assert "横浜市" in _page(client.get(url))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"display_name": "港 次郎", "email": "minato@test.example", "role": "auditor"})

    assert response.status_code == 302
    deputy = User.objects.get(email="minato@test.example")
    assert (deputy.role, deputy.insurer) == (Role.INSURER_ADMIN, cast.insurer_b)
    assert [m.to for m in mail.outbox] == [["minato@test.example"]]


def test_an_unknown_insurer_is_not_found(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.platform_admin)
    url = reverse("insurers:insurer_admin_invite", kwargs={"insurer_id": 999_999})
    assert client.get(url).status_code == 404


def test_the_list_shows_every_insurer_with_its_admins_and_no_other_staff(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.platform_admin)

    response = client.get(reverse("insurers:insurer_list"))

    page = _page(response)
    for shown in ("熊本市", "横浜市", cast.a_admin.email, cast.b_admin.email):
        assert shown in page
    for hidden in (cast.a_staff, cast.a_auditor, cast.b_operator, cast.office_a_admin, cast.office_a_cm):
        assert hidden.email not in page


def test_the_menu_leads_platform_admins_to_the_insurers_page(cast: Cast, sign_in: SignIn) -> None:
    page = _page(sign_in(cast.platform_admin).get(reverse("web:home")))
    assert f'href="{reverse("insurers:insurer_list")}"' in page


@pytest.mark.parametrize("who", ["a_admin", "office_a_admin", "a_staff"])
def test_nobody_else_adds_insurers(cast: Cast, sign_in: SignIn, who: str) -> None:
    client = sign_in(getattr(cast, who))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, GOOD).status_code == 403
    with pytest.raises(PermissionDenied):
        insurer_onboard(
            actor=getattr(cast, who),
            number="472019",
            name="那覇市",
            admin_display_name="x",
            admin_email="x@test.example",
        )
    assert not Insurer.objects.filter(number="472019").exists()


def test_a_platform_admin_manages_insurer_admins_only(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.platform_admin)
    assert client.get(reverse("accounts:user_detail", kwargs={"user_id": cast.a_admin.pk})).status_code == 200
    for other in (cast.a_staff, cast.office_a_admin, cast.platform_admin):
        assert client.get(reverse("accounts:user_detail", kwargs={"user_id": other.pk})).status_code == 404
    # The staff list is the tenants' own: the platform admin has the insurers page instead.
    assert client.get(reverse("accounts:user_list")).status_code == 403
