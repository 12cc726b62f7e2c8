"""What insurers see and decide (issue 5 item 5, flows 3–4): every office linked to the insurer
by an approval row (any status) with its checklist status, the signed answers (never a draft's),
and the policy, which insurer admins change (audited) and auditors only read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.checklists.models import ChecklistPolicy, Submission
from shinchoku.checklists.services import submission_start
from shinchoku.offices.models import ApprovalStatus, OfficeKind
from shinchoku.offices.services import approval_set_status, office_create
from shinchoku.web.navigation import navigation_for
from tests.checklists import sign_checklist
from tests.personas import Cast, make_user

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2027, 11, 10, 9, 0, tzinfo=TOKYO)
LIST = reverse("checklists:office_list")
POLICY = reverse("checklists:policy")


@pytest.fixture
def offices(cast: Cast) -> dict[str, User]:
    """Insurer A's offices in every checklist state; office B applied to insurer B only.

    office A: signed 2026-11-23, valid through 2027-11-23 (within 30 days of NOW), renewing;
    pending: a draft only; rejected: signed 2025-06-01, expired; office B: valid, not insurer A's.
    """
    pending = cast.office_unapproved
    rejected = office_create(
        actor=None, number="4370100044", name="却下居宅介護支援事業所", kind=OfficeKind.HOME_CARE_SUPPORT
    )
    admins = {
        "pending": make_user("pending-admin@test.example", Role.OFFICE_ADMIN, office=pending),
        "rejected": make_user("rejected-admin@test.example", Role.OFFICE_ADMIN, office=rejected),
    }
    approval_set_status(actor=None, insurer=cast.insurer_a, office=pending, status=ApprovalStatus.PENDING)
    approval_set_status(actor=None, insurer=cast.insurer_a, office=rejected, status=ApprovalStatus.REJECTED)
    with time_machine.travel(datetime(2025, 6, 1, 10, 0, tzinfo=TOKYO), tick=False):
        sign_checklist(admins["rejected"])
    with time_machine.travel(datetime(2026, 11, 23, 14, 5, tzinfo=TOKYO), tick=False):
        sign_checklist(cast.office_a_admin)
        sign_checklist(cast.office_b_admin)
    submission_start(actor=cast.office_a_admin, copy_previous=True)
    submission_start(actor=admins["pending"], copy_previous=False)
    return admins


@time_machine.travel(NOW, tick=False)
def test_the_list_shows_every_linked_office_with_its_status(
    cast: Cast, offices: dict[str, User], sign_in: SignIn
) -> None:
    response = sign_in(cast.a_admin).get(LIST)

    assert response.status_code == 200
    rows = {approval.office.number: status for approval, status in response.context["rows"]}
    assert {number: status.state.value for number, status in rows.items()} == {
        "4370100010": "valid",
        "4370100036": "draft",
        "4370100044": "expired",
    }
    assert rows["4370100010"].expiring_soon and rows["4370100010"].has_draft
    page = response.content.decode()
    assert cast.office_b.name not in page and cast.office_b.number not in page
    assert '<span class="badge badge--ok">有効</span> <span class="badge badge--warn">期限間近</span>' in page
    assert "更新の下書きあり" in page
    assert '<span class="badge badge--warn">下書き</span>' in page
    assert '<span class="badge badge--danger">期限切れ</span>' in page
    assert "2027/11/23 まで" in page and "2026/06/01 まで" in page
    counts = {state.value: n for state, n in response.context["counts"].items()}
    assert counts == {"none": 0, "draft": 1, "valid": 1, "expired": 1}


def test_an_office_that_never_started_is_listed_as_not_submitted(cast: Cast, sign_in: SignIn) -> None:
    page = sign_in(cast.a_auditor).get(LIST).content.decode()

    assert '<span class="badge badge--muted">未提出</span>' in page
    assert cast.office_a.name in page


@time_machine.travel(NOW, tick=False)
def test_signed_answers_open_for_admins_and_auditors_of_a_linked_insurer_only(
    cast: Cast, offices: dict[str, User], sign_in: SignIn
) -> None:
    expired = Submission.objects.get(office__number="4370100044")
    url = reverse("checklists:office_submission", args=[expired.pk])

    for reader in (cast.a_admin, cast.a_auditor):
        page = sign_in(reader).get(url).content.decode()
        assert "却下居宅介護支援事業所" in page and "rejected-admin" in page
        assert '<span class="badge badge--danger">期限切れ</span>' in page
        assert "1-1</span> 原則、職員個人のスマートフォン" in page
    for outsider in (cast.b_admin, cast.b_auditor):
        assert sign_in(outsider).get(url).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_drafts_stay_the_offices_until_signed(cast: Cast, offices: dict[str, User], sign_in: SignIn) -> None:
    draft = Submission.objects.get(office=cast.office_unapproved)

    assert sign_in(cast.a_admin).get(reverse("checklists:office_submission", args=[draft.pk])).status_code == 404
    page = sign_in(cast.a_admin).get(LIST).content.decode()
    assert reverse("checklists:office_submission", args=[draft.pk]) not in page


def test_reading_an_offices_checklist_is_not_audited(cast: Cast, sign_in: SignIn) -> None:
    # A decision (docs/checklist.md): the answers are the office's self-assessment, not personal
    # data, and every admin and auditor of the insurers it applied to may read them.
    signed = sign_checklist(cast.office_a_admin)
    client = sign_in(cast.a_auditor)
    before = AuditEvent.objects.count()

    assert client.get(reverse("checklists:office_submission", args=[signed.pk])).status_code == 200
    assert client.get(LIST).status_code == 200

    assert AuditEvent.objects.count() == before


def test_the_admin_changes_the_policy_audited(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)
    page = client.get(POLICY).content.decode()
    assert "承認済みの事業所 1件のうち、いま有効なチェックリストがない事業所は 1件です。" in page

    response = client.post(POLICY, {"require_for_lookup": "on"}, follow=True)

    assert "チェックリストの提出要件を保存しました。" in response.content.decode()
    policy = ChecklistPolicy.objects.get(insurer=cast.insurer_a)
    assert (policy.require_for_approval, policy.require_for_lookup) == (False, True)
    [event] = AuditEvent.objects.filter(event_type=EventType.CHECKLISTS_POLICY_UPDATED)
    assert (event.actor, event.insurer) == (cast.a_admin, cast.insurer_a)
    assert event.details == {"changed": {"require_for_lookup": [False, True]}}
    # It holds at once: the office's care manager is told why insurer A is unavailable.
    assert "熊本市(431007)の申請はいま照会できません" in sign_in(cast.office_a_cm).get("/lookup/").content.decode()

    response = sign_in(cast.a_admin).post(POLICY, {"require_for_lookup": "on"}, follow=True)
    assert "変更はありませんでした。" in response.content.decode()
    assert AuditEvent.objects.filter(event_type=EventType.CHECKLISTS_POLICY_UPDATED).count() == 1


def test_auditors_read_the_policy_but_cannot_change_it(cast: Cast, sign_in: SignIn) -> None:
    ChecklistPolicy.objects.create(insurer=cast.insurer_a, require_for_approval=True)
    client = sign_in(cast.a_auditor)

    page = client.get(LIST).content.decode()
    assert "承認の条件にしている" in page and "照会の条件にしていない" in page
    assert POLICY not in page
    assert client.post(POLICY, {"require_for_lookup": "on"}).status_code == 403
    assert not ChecklistPolicy.objects.get(insurer=cast.insurer_a).require_for_lookup


def test_the_insurer_settings_page_links_to_the_policy(cast: Cast, sign_in: SignIn) -> None:
    assert POLICY in sign_in(cast.a_admin).get(reverse("insurers:settings")).content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("office_a_admin", {"checklists:overview"}),
        ("office_a_cm", set()),
        ("a_admin", {"checklists:office_list"}),
        ("a_auditor", {"checklists:office_list"}),
        ("a_staff", set()),
        ("a_operator", set()),
    ],
)
def test_the_menu_offers_the_checklist_pages_to_those_who_may_open_them(
    cast: Cast, persona: str, expected: set[str]
) -> None:
    names = {item.url_name for item in navigation_for(getattr(cast, persona))}
    assert {name for name in names if name.startswith("checklists:")} == expected
