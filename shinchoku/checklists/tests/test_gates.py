"""The two gates (issue 5 item 5, flow 3): an insurer may require a current checklist (signed,
not expired) before it approves an office, and before the office's people may look up its
cases. Both directions, and expiry by the clock. A lookup gate closed is indistinguishable from
an insurer that does not approve the office: no oracle (DESIGN T2)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.codes import ApplicationKind
from shinchoku.cases.models import Case
from shinchoku.checklists.models import ChecklistPolicy
from shinchoku.checklists.selectors import office_has_current_checklist
from shinchoku.lookup.selectors import lookup_insurers
from shinchoku.offices.decisions import Action
from shinchoku.offices.models import ApprovalStatus, OfficeApproval
from shinchoku.offices.services import approval_decide, approval_set_status
from tests.cases import make_case
from tests.checklists import sign_checklist
from tests.personas import Cast, make_user

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
TOKYO = ZoneInfo("Asia/Tokyo")
SIGNED = datetime(2026, 11, 23, 14, 5, tzinfo=TOKYO)
LAST_DAY = datetime(2027, 11, 23, 23, 59, tzinfo=TOKYO)  # still current
EXPIRED = datetime(2027, 11, 24, 0, 0, tzinfo=TOKYO)  # no longer
APPLIED = date(2025, 4, 1)
NUMBER = "0000123456"  # a person of insurer A whose office on file is office A
ROOMY_LIMITS = [
    ("user", 900, 1000, 1800),
    ("office", 3600, 1000, 3600),
    ("ip", 3600, 1000, 3600),
    ("global", 3600, 1000, 3600),
]
GATE_MESSAGE = "この保険者は、有効な情報安全管理チェックリストを承認の条件にしています。"


def _require(insurer: Any, *, approval: bool = False, lookup: bool = False) -> None:
    ChecklistPolicy.objects.update_or_create(
        insurer=insurer, defaults={"require_for_approval": approval, "require_for_lookup": lookup}
    )


# -- gate 1: approval ----------------------------------------------------------------------------


@pytest.fixture
def application(cast: Cast) -> OfficeApproval:
    """The unapproved office applies to insurer A; it has an admin to sign its checklist."""
    make_user("unapproved-admin@test.example", cast.office_a_admin.role, office=cast.office_unapproved)  # type: ignore[arg-type]
    return approval_set_status(
        actor=None, insurer=cast.insurer_a, office=cast.office_unapproved, status=ApprovalStatus.PENDING
    )


def _applicant_admin(cast: Cast) -> User:
    return User.objects.get(email="unapproved-admin@test.example")


def test_an_insurer_that_requires_it_cannot_approve_an_office_without_a_checklist(
    cast: Cast, application: OfficeApproval, mailoutbox: list[mail.EmailMessage]
) -> None:
    _require(cast.insurer_a, approval=True)

    with pytest.raises(ValidationError) as refused:
        approval_decide(actor=cast.a_admin, approval=application, action=Action.APPROVE)

    [message] = refused.value.messages
    assert message.startswith(GATE_MESSAGE)
    assert "未提出か有効期限切れのため、承認できません" in message
    assert OfficeApproval.objects.get(pk=application.pk).status == ApprovalStatus.PENDING
    assert not AuditEvent.objects.filter(event_type=EventType.OFFICES_APPROVAL_DECIDED, target_id=str(application.pk))
    assert mailoutbox == []


def test_with_a_current_checklist_the_office_is_approved(cast: Cast, application: OfficeApproval) -> None:
    _require(cast.insurer_a, approval=True)
    sign_checklist(_applicant_admin(cast))

    decided = approval_decide(actor=cast.a_admin, approval=application, action=Action.APPROVE)

    assert decided.status == ApprovalStatus.APPROVED


def test_an_expired_checklist_does_not_count_for_approval(cast: Cast, application: OfficeApproval) -> None:
    _require(cast.insurer_a, approval=True)
    with time_machine.travel(SIGNED, tick=False) as clock:
        sign_checklist(_applicant_admin(cast))
        clock.move_to(EXPIRED)
        with pytest.raises(ValidationError, match=GATE_MESSAGE):
            approval_decide(actor=cast.a_admin, approval=application, action=Action.APPROVE)
        clock.move_to(LAST_DAY)
        assert approval_decide(actor=cast.a_admin, approval=application, action=Action.APPROVE).is_approved


def test_without_the_requirement_approval_needs_no_checklist(cast: Cast, application: OfficeApproval) -> None:
    _require(cast.insurer_b, approval=True)  # another insurer's policy is not this one's
    assert approval_decide(actor=cast.a_admin, approval=application, action=Action.APPROVE).is_approved


def test_the_gate_holds_only_approval_not_the_other_decisions(cast: Cast, application: OfficeApproval) -> None:
    _require(cast.insurer_a, approval=True)
    returned = approval_decide(
        actor=cast.a_admin, approval=application, action=Action.RETURN, reason="チェックリストを提出してください"
    )
    assert returned.status == ApprovalStatus.RETURNED
    # Resuming a suspension is not an approval: an insurer that also wants lookups to stop
    # without a checklist sets the lookup requirement (gate 2), which holds whatever the status.
    suspended = approval_decide(actor=cast.a_admin, approval=cast.approval_a, action=Action.SUSPEND, reason="確認")
    assert approval_decide(actor=cast.a_admin, approval=suspended, action=Action.RESUME).is_approved


def test_the_approval_page_refuses_with_the_message_and_shows_the_checklist(
    cast: Cast, application: OfficeApproval, sign_in: SignIn
) -> None:
    _require(cast.insurer_a, approval=True)
    client = sign_in(cast.a_admin)
    url = reverse("offices:approval_detail", args=[application.pk])

    page = client.get(url).content.decode()
    assert '<h2 id="checklist-heading">情報安全管理チェックリスト</h2>' in page
    assert '<span class="badge badge--muted">未提出</span>' in page
    assert "有効なチェックリストがないため、この事業所はいま「承認する」ことができません。" in page

    response = client.post(reverse("offices:approval_decide", args=[application.pk]), {"action": "approve"})
    assert response.status_code == 200
    assert GATE_MESSAGE in response.content.decode()

    with time_machine.travel(SIGNED, tick=False):
        signed = sign_checklist(_applicant_admin(cast))
        page = sign_in(cast.a_admin).get(url).content.decode()
    assert '<span class="badge badge--ok">有効</span>' in page
    assert "2027/11/23 まで" in page
    assert reverse("checklists:office_submission", args=[signed.pk]) in page
    assert "承認する」ことができません" not in page


def test_insurer_staff_see_the_status_but_no_link_to_the_answers(cast: Cast, sign_in: SignIn) -> None:
    sign_checklist(cast.office_a_admin)

    page = sign_in(cast.a_staff).get(reverse("offices:approval_detail", args=[cast.approval_a.pk])).content.decode()

    assert '<span class="badge badge--ok">有効</span>' in page
    assert "/checklists/offices/submissions/" not in page


# -- gate 2: lookup ------------------------------------------------------------------------------


@pytest.fixture
def case(cast: Cast) -> Case:
    return make_case(cast.insurer_a, NUMBER, APPLIED, kind=ApplicationKind.RENEWAL, office_number=cast.office_a.number)


def _look(client: Client, **overrides: str) -> Any:
    data = {
        "insurer": "431007",
        "insured_number": NUMBER,
        "applied_on_date": APPLIED.isoformat(),
        "application_kind": ApplicationKind.RENEWAL,
        **overrides,
    }
    return client.post(reverse("lookup:lookup"), data)


def _found(response: Any) -> bool:
    page = response.content.decode()
    assert response.status_code == 200
    if "照会結果" in page:
        assert NUMBER in page
        return True
    assert "該当する申請が見つかりません" in page and NUMBER not in page.split("<form")[0]
    return False


def test_an_office_without_a_checklist_cannot_look_up_an_insurer_that_requires_one(
    cast: Cast, case: Case, sign_in: SignIn
) -> None:
    _require(cast.insurer_a, lookup=True)
    client = sign_in(cast.office_a_cm)

    page = client.get(reverse("lookup:lookup")).content.decode()
    assert (
        "事業所の情報安全管理チェックリストがまだ署名・提出されていないため、熊本市(431007)の申請はいま照会できません。"
        in page
    )
    assert "照会する</button>" not in page  # no insurer left to choose
    assert "いま照会を利用できる保険者がありません" not in page  # the reason given is the checklist
    assert "チェックリストに回答する</a>" not in page  # a care manager cannot sign it

    assert not _found(_look(client))
    event = AuditEvent.objects.filter(event_type=EventType.LOOKUP_CASE_LOOKED_UP).latest("id")
    assert event.details["reason"] == "not_approved"


def test_a_signed_checklist_opens_the_lookup_at_once(cast: Cast, case: Case, sign_in: SignIn) -> None:
    _require(cast.insurer_a, lookup=True)
    client = sign_in(cast.office_a_cm)
    assert not _found(_look(client))

    sign_checklist(cast.office_a_admin)

    assert _found(_look(client))
    assert "チェックリスト" not in client.get(reverse("lookup:lookup")).content.decode()


def test_the_lookup_closes_the_moment_the_checklist_expires_and_says_why(
    cast: Cast, case: Case, sign_in: SignIn
) -> None:
    _require(cast.insurer_a, lookup=True)
    with time_machine.travel(SIGNED, tick=False) as clock:
        sign_checklist(cast.office_a_admin)
        clock.move_to(LAST_DAY)
        assert _found(_look(sign_in(cast.office_a_admin)))  # signed in afresh: sessions end after 12 hours
        clock.move_to(EXPIRED)
        client = sign_in(cast.office_a_admin)
        assert not _found(_look(client))
        page = client.get(reverse("lookup:lookup")).content.decode()
        assert (
            "事業所の情報安全管理チェックリストの有効期限が切れているため(2027/11/23 まで有効でした)、熊本市(431007)の申請はいま照会できません。"
            in page
        )
        assert f'<a href="{reverse("checklists:overview")}">チェックリストに回答する</a>' in page  # the admin can
        sign_checklist(cast.office_a_admin)
        assert _found(_look(client))


def test_without_the_requirement_lookups_need_no_checklist(cast: Cast, case: Case, sign_in: SignIn) -> None:
    _require(cast.insurer_a, approval=True)  # approval only
    _require(cast.insurer_b, lookup=True)  # another insurer
    assert _found(_look(sign_in(cast.office_a_cm)))


def test_only_the_insurers_that_require_it_are_withheld(cast: Cast, sign_in: SignIn) -> None:
    approval_set_status(actor=None, insurer=cast.insurer_b, office=cast.office_a, status=ApprovalStatus.APPROVED)
    _require(cast.insurer_a, lookup=True)

    assert lookup_insurers(cast.office_a_cm) == [cast.insurer_b]
    page = sign_in(cast.office_a_cm).get(reverse("lookup:lookup")).content.decode()
    assert "熊本市(431007)の申請はいま照会できません" in page
    assert "横浜市" in page and "照会する</button>" in page


def test_the_linked_list_and_linked_cases_follow_the_same_rule(cast: Cast, case: Case, sign_in: SignIn) -> None:
    _require(cast.insurer_a, lookup=True)
    client = sign_in(cast.office_a_cm)
    detail = reverse("lookup:linked_detail", args=[case.pk])

    page = client.get(reverse("lookup:linked_list")).content.decode()
    assert NUMBER not in page
    assert "熊本市(431007)の申請はいま照会できません" in page
    assert client.get(detail).status_code == 404
    assert client.post(reverse("lookup:follow", args=[case.pk]), {"follow": "1"}).status_code == 404

    sign_checklist(cast.office_a_admin)

    assert NUMBER in client.get(reverse("lookup:linked_list")).content.decode()
    assert client.get(detail).status_code == 200


_VOLATILE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|<form .*?</form>', re.S)


def test_a_withheld_insurer_answers_exactly_as_one_that_does_not_approve_the_office(
    cast: Cast, case: Case, sign_in: SignIn, settings: Any
) -> None:
    """Insurer A (requires a checklist, has the case) and insurer B (never approved office A,
    has no such case) give the same page, status and number of queries."""
    settings.LOOKUP_MISS_LIMITS = ROOMY_LIMITS
    settings.AUDIT_CHAIN_STRIPES = 1
    _require(cast.insurer_a, lookup=True)
    client = sign_in(cast.office_a_cm)
    scenarios = {
        "withheld insurer, existing case": {},
        "not approving insurer": {"insurer": "141002"},
        "withheld insurer, no such case": {"insured_number": "0000000001"},
    }
    for overrides in scenarios.values():  # first use creates chain heads and counter rows
        _look(client, **overrides)
    seen = {}
    for name, overrides in scenarios.items():
        with CaptureQueriesContext(connection) as queries:
            response = _look(client, **overrides)
        seen[name] = (response.status_code, _VOLATILE.sub("", response.content.decode()), len(queries))

    assert {v[0] for v in seen.values()} == {200}
    assert len({v[1] for v in seen.values()}) == 1, "the pages differ"
    assert len({v[2] for v in seen.values()}) == 1, {k: v[2] for k, v in seen.items()}
    assert not office_has_current_checklist(cast.office_a)
