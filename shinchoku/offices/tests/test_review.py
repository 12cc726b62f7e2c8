"""The insurer admin's review of office approvals (issue 5 item 2): which decisions each status
allows, that a refused one changes nothing, that the office's admins are told by e-mail after
the commit, that every decision is audited with it, and that a suspension stops the office's
lookups on its very next request (DESIGN T3, T6)."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import user_disable
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.codes import ApplicationKind
from shinchoku.offices.decisions import DECISIONS, FINAL, Action, decisions_from
from shinchoku.offices.models import ApprovalStatus, OfficeApproval
from shinchoku.offices.services import approval_decide, approval_set_status
from tests.cases import make_case
from tests.personas import Cast, make_user

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
OnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
Outbox = list[mail.EmailMessage]

S = ApprovalStatus
SUBJECT = "[介護認定 進捗照会] 熊本市の利用審査の結果のお知らせ"
REASON = "指定通知書の写しが不鮮明なため"
NUMBER = "2718281828"  # a person of insurer A whose office on file is office A
APPLIED = date(2025, 4, 1)
INSURER_A = "431007"  # 熊本市

# The decisions of the brief, written out again so that a change to the table is a decision too.
ALLOWED = {
    (S.PENDING, Action.APPROVE): S.APPROVED,
    (S.PENDING, Action.RETURN): S.RETURNED,
    (S.PENDING, Action.REJECT): S.REJECTED,
    (S.RETURNED, Action.APPROVE): S.APPROVED,
    (S.RETURNED, Action.RETURN): S.RETURNED,
    (S.RETURNED, Action.REJECT): S.REJECTED,
    (S.APPROVED, Action.SUSPEND): S.SUSPENDED,
    (S.APPROVED, Action.REVOKE): S.REVOKED,
    (S.SUSPENDED, Action.RESUME): S.APPROVED,
    (S.SUSPENDED, Action.REVOKE): S.REVOKED,
}
ILLEGAL = sorted({(s, a) for s in S for a in Action} - set(ALLOWED))
NEEDS_REASON = (Action.RETURN, Action.REJECT, Action.SUSPEND, Action.REVOKE)
# What each decision tells the office it means.
MEANING = {
    Action.APPROVE: "いまから熊本市の要介護認定の申請の進み具合を照会できます",
    Action.RESUME: "いまから再び熊本市の要介護認定の申請の進み具合を照会できます",
    Action.RETURN: "承認されるまでは、熊本市の申請は照会できません",
    Action.REJECT: "申請は却下されました",
    Action.SUSPEND: "ログイン中の方も次の操作から照会できなくなります",
    Action.REVOKE: "熊本市による承認を取り消しました",
}


def _decide_url(approval: OfficeApproval) -> str:
    return reverse("offices:approval_decide", kwargs={"approval_id": approval.pk})


def _detail_url(approval: OfficeApproval) -> str:
    return reverse("offices:approval_detail", kwargs={"approval_id": approval.pk})


def _put(cast: Cast, status: ApprovalStatus, reason: str = "") -> OfficeApproval:
    """Office A's approval by insurer A, moved to ``status`` by set-up code."""
    return approval_set_status(actor=None, insurer=cast.insurer_a, office=cast.office_a, status=status, reason=reason)


def _decisions() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.OFFICES_APPROVAL_DECIDED).order_by("pk"))


def _fresh(approval: OfficeApproval) -> OfficeApproval:
    return OfficeApproval.objects.get(pk=approval.pk)


@pytest.fixture
def decide(sign_in: SignIn, cast: Cast, django_capture_on_commit_callbacks: OnCommit) -> Callable[..., Any]:
    """POSTs a decision as insurer A's admin and runs what waits for the commit, as a real one would."""

    def _decide(approval: OfficeApproval, action: str, reason: str = "", *, client: Client | None = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return (client or sign_in(cast.a_admin)).post(_decide_url(approval), {"action": action, "reason": reason})

    return _decide


# -- the table ---------------------------------------------------------------------------------


def test_the_table_allows_exactly_the_decisions_of_the_brief() -> None:
    table = {(s, d.action): d.to for s in S for d in decisions_from(s)}
    assert table == ALLOWED
    assert {a for a, d in DECISIONS.items() if d.needs_reason} == set(NEEDS_REASON)
    assert {a for a, d in DECISIONS.items() if d.destructive} == {Action.REJECT, Action.SUSPEND, Action.REVOKE}
    assert {s for s in S if not decisions_from(s)} == FINAL == {S.REJECTED, S.REVOKED}


@pytest.mark.parametrize("status", list(S))
def test_the_page_offers_the_decisions_of_the_status_to_the_admin(
    cast: Cast, sign_in: SignIn, status: ApprovalStatus
) -> None:
    approval = _put(cast, status, reason="前の理由")

    page = sign_in(cast.a_admin).get(_detail_url(approval)).content.decode()

    offered = re.findall(r'<button type="submit" name="action" value="(\w+)" class="([^"]+)"', page)
    expected = [(d.action.value, d.destructive) for d in decisions_from(status)]
    assert [(value, "button--danger" in classes) for value, classes in offered] == expected
    if status in FINAL:
        assert "最終の決定のため、これ以上の決定はできません" in page
        assert 'name="reason"' not in page
    else:
        assert 'name="reason"' in page
        assert f'action="{_decide_url(approval)}"' in page


def test_the_button_texts_say_what_happens(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)

    pending = client.get(_detail_url(_put(cast, S.PENDING))).content.decode()
    suspended = client.get(_detail_url(_put(cast, S.SUSPENDED, REASON))).content.decode()

    for label in ("承認する", "差し戻す", "却下する"):
        assert f">{label}</button>" in pending
    for label in ("利用を再開する", "承認を取り消す"):
        assert f">{label}</button>" in suspended
    assert "「却下する」は最終の決定で、元に戻せません。" in pending
    assert "「承認を取り消す」は最終の決定で、元に戻せません。" in suspended


# -- allowed decisions -------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "action"), list(ALLOWED))
def test_each_allowed_decision_is_recorded_audited_and_mailed_to_the_office(
    cast: Cast, decide: Callable[..., Any], mailoutbox: Outbox, start: ApprovalStatus, action: Action
) -> None:
    approval = _put(cast, start)
    before = len(_decisions())

    response = decide(approval, action, REASON)

    assert response.status_code == 302
    assert response["Location"] == _detail_url(approval)
    after = _fresh(approval)
    assert (after.status, after.reason) == (ALLOWED[start, action], REASON)
    assert after.decided_at is not None
    [event] = _decisions()[before:]
    assert event.details == {"from": start.value, "to": ALLOWED[start, action].value, "reason": REASON}
    assert (event.actor, event.insurer, event.office) == (cast.a_admin, cast.insurer_a, cast.office_a)
    assert event.target_id == str(approval.pk)
    [message] = mailoutbox
    assert message.to == [cast.office_a_admin.email]
    assert message.subject == SUBJECT
    assert "熊本市は、貴事業所による「介護認定 進捗照会サービス」の利用について" in message.body
    assert f"新しい状態: {ALLOWED[start, action].label}" in message.body
    assert REASON in message.body
    assert MEANING[action] in message.body


def test_the_admin_sees_the_new_status_with_a_confirmation(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)

    page = client.post(_decide_url(cast.approval_a), {"action": "suspend", "reason": REASON}, follow=True)

    html = page.content.decode()
    assert "みどり居宅介護支援事業所 を「利用停止」にしました。" in html
    assert REASON in html


@pytest.mark.parametrize(("start", "action"), [(S.PENDING, Action.APPROVE), (S.SUSPENDED, Action.RESUME)])
def test_approving_and_resuming_need_no_reason_but_take_a_note(
    cast: Cast, decide: Callable[..., Any], mailoutbox: Outbox, start: ApprovalStatus, action: Action
) -> None:
    approval = _put(cast, start, reason="前の理由")

    assert decide(approval, action).status_code == 302
    assert (_fresh(approval).status, _fresh(approval).reason) == (S.APPROVED, "")
    assert "理由:" not in mailoutbox[0].body and "保険者からの連絡" not in mailoutbox[0].body

    _put(cast, start)
    decide(approval, action, "4月から利用できます")
    assert "保険者からの連絡: 4月から利用できます" in mailoutbox[1].body


# -- refused decisions -------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "action"), ILLEGAL)
def test_a_decision_the_status_does_not_allow_is_refused_and_changes_nothing(
    cast: Cast, decide: Callable[..., Any], mailoutbox: Outbox, start: ApprovalStatus, action: Action
) -> None:
    approval = _put(cast, start, reason="前の理由")
    before = (_fresh(approval).decided_at, len(_decisions()))

    response = decide(approval, action, REASON)

    assert response.status_code == 200
    page = response.content.decode()
    assert f"この事業所はいま「{start.label}」のため、「{action.label}」はできません。" in page
    after = _fresh(approval)
    assert (after.status, after.reason) == (start, "前の理由")
    assert (after.decided_at, len(_decisions())) == before
    assert mailoutbox == []


def test_a_page_left_open_cannot_undo_a_colleagues_revocation(
    cast: Cast, sign_in: SignIn, decide: Callable[..., Any], mailoutbox: Outbox
) -> None:
    colleague = make_user("a-admin-2@test.example", Role.INSURER_ADMIN, insurer=cast.insurer_a)
    stale = sign_in(cast.a_admin).get(_detail_url(cast.approval_a)).content.decode()
    assert 'value="suspend"' in stale

    decide(cast.approval_a, "revoke", REASON, client=sign_in(colleague))
    response = decide(cast.approval_a, "suspend", "別の理由")

    assert "この画面を開いた後に状態が変わった可能性があります" in response.content.decode()
    assert (_fresh(cast.approval_a).status, _fresh(cast.approval_a).reason) == (S.REVOKED, REASON)
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("action", NEEDS_REASON)
@pytest.mark.parametrize("reason", ["", "   "])
def test_returning_rejecting_suspending_and_revoking_need_a_reason(
    cast: Cast, decide: Callable[..., Any], mailoutbox: Outbox, action: Action, reason: str
) -> None:
    start = S.APPROVED if action in (Action.SUSPEND, Action.REVOKE) else S.PENDING
    approval = _put(cast, start)
    before = len(_decisions())

    response = decide(approval, action, reason)

    assert response.status_code == 200
    assert f"「{action.label}」には理由が必要です(事業所に通知されます)。" in response.content.decode()
    assert _fresh(approval).status == start
    assert len(_decisions()) == before
    assert mailoutbox == []


def test_the_same_decision_twice_is_refused_as_no_change(
    cast: Cast, decide: Callable[..., Any], mailoutbox: Outbox
) -> None:
    approval = _put(cast, S.PENDING)
    decide(approval, "return", REASON)
    before = len(_decisions())

    response = decide(approval, "return", REASON)

    assert "この事業所はすでに「差戻し」で、理由も同じです。変更はありません。" in response.content.decode()
    assert len(_decisions()) == before
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "approve_all", "reason": ""}, "決定の内容をボタンで選んでください。"),
        ({"reason": REASON}, "決定の内容をボタンで選んでください。"),
        ({"action": "suspend", "reason": "長" * 201}, "200"),
    ],
)
def test_a_malformed_decision_is_refused_by_the_form(
    cast: Cast, sign_in: SignIn, mailoutbox: Outbox, data: dict[str, str], message: str
) -> None:
    response = sign_in(cast.a_admin).post(_decide_url(cast.approval_a), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert _fresh(cast.approval_a).status == S.APPROVED
    assert mailoutbox == []


def test_the_service_refuses_what_the_view_would_refuse(cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        approval_decide(actor=cast.a_admin, approval=cast.approval_a, action=Action.APPROVE)
    assert refused.value.code == "not_allowed"
    with pytest.raises(ValidationError) as no_reason:
        approval_decide(actor=cast.a_admin, approval=cast.approval_a, action=Action.SUSPEND, reason=" ")
    assert [e.code for e in no_reason.value.error_dict["reason"]] == ["required"]
    with pytest.raises(ValidationError):
        approval_decide(actor=cast.a_admin, approval=cast.approval_a, action=Action.SUSPEND, reason="長" * 201)


@pytest.mark.parametrize("persona", ["a_staff", "b_admin", "office_a_admin"])
def test_the_service_refuses_anyone_but_the_insurers_admin(cast: Cast, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        approval_decide(actor=getattr(cast, persona), approval=cast.approval_a, action=Action.SUSPEND, reason=REASON)
    assert _fresh(cast.approval_a).status == S.APPROVED


# -- who may decide ----------------------------------------------------------------------------


def test_another_insurers_admin_gets_404_and_changes_nothing(cast: Cast, sign_in: SignIn, mailoutbox: Outbox) -> None:
    client = sign_in(cast.b_admin)
    before = len(_decisions())

    assert client.get(_detail_url(cast.approval_a)).status_code == 404
    assert client.post(_decide_url(cast.approval_a), {"action": "suspend", "reason": REASON}).status_code == 404
    assert _fresh(cast.approval_a).status == S.APPROVED
    assert len(_decisions()) == before
    assert mailoutbox == []


def test_insurer_staff_read_the_approval_but_cannot_decide(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_staff)

    page = client.get(_detail_url(_put(cast, S.PENDING)))
    assert page.status_code == 200
    assert "審査・決定" not in page.content.decode()
    assert 'name="action"' not in page.content.decode()
    assert client.post(_decide_url(cast.approval_a), {"action": "approve"}).status_code == 403
    assert _fresh(cast.approval_a).status == S.PENDING


@pytest.mark.parametrize(
    "persona", ["a_staff", "a_auditor", "a_operator", "office_a_admin", "office_a_cm", "outsider", "platform_admin"]
)
def test_roles_without_the_decide_permission_get_403(cast: Cast, sign_in: SignIn, persona: str) -> None:
    response = sign_in(getattr(cast, persona)).post(
        _decide_url(cast.approval_a), {"action": "suspend", "reason": REASON}
    )

    assert response.status_code == 403
    assert _fresh(cast.approval_a).status == S.APPROVED


def test_deciding_needs_a_login_and_a_post(client: Client, cast: Cast, sign_in: SignIn) -> None:
    url = _decide_url(cast.approval_a)

    response = client.post(url, {"action": "suspend", "reason": REASON})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert sign_in(cast.a_admin).get(url).status_code == 405
    assert _fresh(cast.approval_a).status == S.APPROVED


# -- e-mail ------------------------------------------------------------------------------------


def test_each_active_admin_of_the_office_gets_a_message_of_their_own(
    cast: Cast, decide: Callable[..., Any], mailoutbox: Outbox
) -> None:
    second = make_user("office-a-admin-2@test.example", Role.OFFICE_ADMIN, office=cast.office_a)
    gone = make_user("office-a-admin-gone@test.example", Role.OFFICE_ADMIN, office=cast.office_a)
    user_disable(actor=None, user=gone, reason="退職")

    decide(cast.approval_a, "suspend", REASON)

    # Not the care managers, not the other office, not a disabled admin; nobody sees another's address.
    assert [m.to for m in mailoutbox] == [[cast.office_a_admin.email], [second.email]]
    assert all(m.cc == [] and m.bcc == [] for m in mailoutbox)


def test_the_message_is_in_japanese_whatever_the_deciders_language(
    cast: Cast, sign_in: SignIn, decide: Callable[..., Any], mailoutbox: Outbox
) -> None:
    client = sign_in(cast.a_admin)
    client.post(reverse("web:setlang"), {"language": "en", "next": "/"})
    assert "Review and decision" in client.get(_detail_url(cast.approval_a)).content.decode()

    decide(cast.approval_a, "suspend", REASON, client=client)

    [message] = mailoutbox
    assert message.subject == SUBJECT
    assert "みどり居宅介護支援事業所 管理者 様" in message.body
    assert "新しい状態: 利用停止" in message.body


def test_the_message_holds_no_case_data(cast: Cast, decide: Callable[..., Any], mailoutbox: Outbox) -> None:
    make_case(cast.insurer_a, NUMBER, APPLIED, office_number=cast.office_a.number)

    decide(cast.approval_a, "revoke", REASON)

    [message] = mailoutbox
    body = str(message.body)
    assert NUMBER not in body
    assert re.search(r"\d{10}", body) is None  # no 被保険者番号 or other long number
    assert "http://127.0.0.1:8000/" in body


def test_no_office_admin_means_no_message_and_the_decision_stands(
    cast: Cast, decide: Callable[..., Any], mailoutbox: Outbox
) -> None:
    user_disable(actor=None, user=cast.office_a_admin, reason="退職")

    assert decide(cast.approval_a, "suspend", REASON).status_code == 302
    assert _fresh(cast.approval_a).status == S.SUSPENDED
    assert mailoutbox == []


def test_a_failure_to_send_is_logged_without_addresses_and_the_decision_stands(
    cast: Cast,
    decide: Callable[..., Any],
    mailoutbox: Outbox,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def refuse(self: EmailBackend, messages: Sequence[mail.EmailMessage]) -> int:
        raise smtplib.SMTPRecipientsRefused({cast.office_a_admin.email: (550, b"mailbox unavailable")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)

    response = decide(cast.approval_a, "suspend", REASON)

    assert response.status_code == 302
    assert _fresh(cast.approval_a).status == S.SUSPENDED
    assert _decisions()[-1].details["to"] == "suspended"
    assert mailoutbox == []
    [record] = [r for r in caplog.records if r.name == "shinchoku.web.mail"]
    assert record.levelname == "ERROR"
    assert "SMTPRecipientsRefused" in record.getMessage()
    assert cast.office_a_admin.email not in caplog.text


# -- audit -------------------------------------------------------------------------------------


def test_a_decision_whose_audit_event_fails_is_not_made_and_not_mailed(
    cast: Cast, mailoutbox: Outbox, django_capture_on_commit_callbacks: OnCommit
) -> None:
    before = _fresh(cast.approval_a).decided_at

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        mock.patch("shinchoku.offices.services.audit_record", side_effect=DatabaseError("disk full")),
        pytest.raises(DatabaseError),
    ):
        approval_decide(actor=cast.a_admin, approval=cast.approval_a, action=Action.SUSPEND, reason=REASON)

    assert callbacks == []
    after = _fresh(cast.approval_a)
    assert (after.status, after.reason, after.decided_at) == (S.APPROVED, "", before)
    assert mailoutbox == []


# -- the effect on the office ------------------------------------------------------------------


def _lookup(client: Client) -> str:
    response = client.post(
        "/lookup/",
        {
            "insurer": INSURER_A,
            "insured_number": NUMBER,
            "applied_on_date": APPLIED.isoformat(),
            "applied_on_text": "",
            "application_kind": ApplicationKind.NEW,
        },
    )
    assert response.status_code == 200
    return response.content.decode()


def _care_manager(cast: Cast) -> Client:
    """The office's care manager in a browser of their own, signed in before the decision."""
    client = Client()
    client.force_login(cast.office_a_cm)
    return client


NO_INSURER = "いま照会を利用できる保険者がありません"


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_suspending_or_revoking_stops_the_offices_lookups_on_its_next_request(
    cast: Cast, decide: Callable[..., Any], action: str
) -> None:
    make_case(cast.insurer_a, NUMBER, APPLIED, office_number=cast.office_a.number)
    cm = _care_manager(cast)
    assert "熊本市" in cm.get("/lookup/").content.decode()
    assert "照会結果" in _lookup(cm)

    decide(cast.approval_a, action, REASON)

    page = cm.get("/lookup/").content.decode()
    assert NO_INSURER in page
    assert 'name="insured_number"' not in page
    html = _lookup(cm)  # a lookup POSTed from the page the care manager still had open
    assert "照会結果" not in html
    assert NUMBER not in html
    assert "該当する申請が見つかりません" in html


def test_resuming_restores_the_offices_lookups_at_once(cast: Cast, decide: Callable[..., Any]) -> None:
    make_case(cast.insurer_a, NUMBER, APPLIED, office_number=cast.office_a.number)
    cm = _care_manager(cast)
    decide(cast.approval_a, "suspend", REASON)
    assert NO_INSURER in cm.get("/lookup/").content.decode()

    decide(cast.approval_a, "resume")

    page = cm.get("/lookup/").content.decode()
    assert NO_INSURER not in page
    assert 'name="insured_number"' in page
    assert "照会結果" in _lookup(cm)


# -- the list ----------------------------------------------------------------------------------


def test_the_list_counts_each_status_and_puts_applications_awaiting_review_first(cast: Cast, sign_in: SignIn) -> None:
    waiting = [
        approval_set_status(actor=None, insurer=cast.insurer_a, office=office, status=S.PENDING)
        for office in (cast.office_unapproved, cast.office_b)
    ]

    response = sign_in(cast.a_admin).get(reverse("offices:approval_list"))

    assert response.context["counts"] == {
        S.PENDING: 2,
        S.APPROVED: 1,
        S.RETURNED: 0,
        S.REJECTED: 0,
        S.SUSPENDED: 0,
        S.REVOKED: 0,
    }
    assert list(response.context["approvals"]) == [*sorted(waiting, key=lambda a: a.office.number), cast.approval_a]
    page = response.content.decode()
    assert "審査中の申請が2件、決定を待っています。一覧の先頭に表示しています。" in page
    assert page.count('<strong class="badge badge--warn">審査中</strong>') == 2
