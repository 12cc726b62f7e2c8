"""An office admin's own applications (issue 5 item 1): the status per insurer with the insurer's
reason, applying to further insurers with a proof and their pledges, and re-submitting a
returned application with a new proof."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.insurers.models import Insurer
from shinchoku.insurers.selectors import pledge_current
from shinchoku.insurers.services import insurer_create, pledge_create
from shinchoku.offices.decisions import RESUBMITTABLE
from shinchoku.offices.models import ApprovalStatus, DesignationProof, OfficeApproval, PledgeAcceptance
from shinchoku.offices.services import application_resubmit, approval_set_status
from tests.documents import html_page, jpeg, pdf, png
from tests.personas import Cast
from tests.registration import proof_file, upload

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
OnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
Outbox = list[mail.EmailMessage]
S = ApprovalStatus
LIST = "/office/applications/"
NEW = "/office/applications/new/"
REASON = "指定通知書の写しが不鮮明なため"


def _resubmit_url(approval: OfficeApproval) -> str:
    return reverse("offices:application_resubmit", kwargs={"approval_id": approval.pk})


def _pledge(insurer: Insurer) -> dict[str, str]:
    return {f"pledge_{insurer.pk}": "on", f"pledge_digest_{insurer.pk}": pledge_current(insurer).digest}


@pytest.fixture
def kyoto(cast: Cast) -> Insurer:
    return insurer_create(actor=None, number="262013", name="京都市")


@pytest.fixture
def submit(sign_in: SignIn, cast: Cast, django_capture_on_commit_callbacks: OnCommit) -> Callable[..., Any]:
    def _submit(url: str, data: dict[str, Any], user: User | None = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return sign_in(user or cast.office_a_admin).post(url, data)

    return _submit


def _returned(cast: Cast) -> OfficeApproval:
    """Office A's application to insurer B, returned with a reason and a first proof."""
    approval = approval_set_status(actor=None, insurer=cast.insurer_b, office=cast.office_a, status=S.PENDING)
    first = DesignationProof.objects.create(
        office=cast.office_a,
        content_type="application/pdf",
        size=1,
        sha256="1" * 64,
        file_name="古い通知書.pdf",
        sealed="x",
        uploaded_by=cast.office_a_admin,
    )
    OfficeApproval.objects.filter(pk=approval.pk).update(proof=first)
    return approval_set_status(
        actor=None, insurer=cast.insurer_b, office=cast.office_a, status=S.RETURNED, reason=REASON
    )


# -- the list ----------------------------------------------------------------------------------


def test_the_list_shows_each_insurers_status_and_reason_and_offers_what_can_be_done(
    cast: Cast, sign_in: SignIn, kyoto: Insurer
) -> None:
    returned = _returned(cast)

    page = sign_in(cast.office_a_admin).get(LIST).content.decode()

    assert "熊本市" in page and "承認済み" in page
    assert "横浜市" in page and "差戻し" in page and REASON in page
    assert f'href="{_resubmit_url(returned)}"' in page
    assert f'href="{_resubmit_url(cast.approval_a)}"' not in page  # approved: nothing to re-submit
    assert f'href="{NEW}"' in page  # 京都市 is still open
    assert "京都市" not in page


def test_the_list_shows_only_the_admins_own_office(cast: Cast, sign_in: SignIn) -> None:
    page = sign_in(cast.office_b_admin).get(LIST).content.decode()

    assert "横浜市" in page
    assert "熊本市" not in page


def test_the_admins_menu_has_the_applications(cast: Cast, sign_in: SignIn) -> None:
    assert f'<a href="{LIST}">利用申請</a>' in sign_in(cast.office_a_admin).get("/").content.decode()
    assert f'<a href="{LIST}">利用申請</a>' not in sign_in(cast.office_a_cm).get("/").content.decode()


# -- applying to further insurers --------------------------------------------------------------


def test_an_admin_applies_to_a_further_insurer_with_a_proof_and_its_pledge(
    cast: Cast, submit: Callable[..., Any], kyoto: Insurer, mailoutbox: Outbox
) -> None:
    response = submit(NEW, {"insurers": [kyoto.pk], "proof": proof_file(jpeg()), **_pledge(kyoto)})

    assert response.status_code == 302
    assert response["Location"] == LIST
    approval = OfficeApproval.objects.get(insurer=kyoto, office=cast.office_a)
    assert approval.status == S.PENDING
    assert approval.proof is not None
    assert (approval.proof.content_type, approval.proof.uploaded_by) == ("image/jpeg", cast.office_a_admin)
    [acceptance] = PledgeAcceptance.objects.filter(approval=approval)
    assert (acceptance.user, acceptance.pledge.insurer, acceptance.pledge.version) == (cast.office_a_admin, kyoto, 1)
    [event] = AuditEvent.objects.filter(event_type=EventType.OFFICES_APPLICATION_SUBMITTED)
    assert (event.actor, event.insurer, event.office) == (cast.office_a_admin, kyoto, cast.office_a)
    [received] = mailoutbox
    assert received.to == [cast.office_a_admin.email]
    assert received.subject == "[介護認定 進捗照会] 京都市への利用申請を受け付けました"
    # The office's other applications are untouched.
    assert OfficeApproval.objects.get(pk=cast.approval_a.pk).status == S.APPROVED


def test_insurers_applied_to_already_are_not_offered_and_cannot_be_forced(
    cast: Cast, sign_in: SignIn, submit: Callable[..., Any], kyoto: Insurer
) -> None:
    page = sign_in(cast.office_a_admin).get(NEW).content.decode()
    assert "京都市に利用を申請する" in page
    assert "熊本市に利用を申請する" not in page

    response = submit(NEW, {"insurers": [cast.insurer_a.pk], "proof": proof_file(), **_pledge(cast.insurer_a)})

    assert "選べない保険者が指定されました。" in response.content.decode()
    assert OfficeApproval.objects.filter(office=cast.office_a).count() == 1


def test_with_every_insurer_applied_to_there_is_nothing_to_apply_for(cast: Cast, sign_in: SignIn) -> None:
    approval_set_status(actor=None, insurer=cast.insurer_b, office=cast.office_a, status=S.PENDING)

    page = sign_in(cast.office_a_admin).get(NEW).content.decode()
    assert "いま申請できる保険者はありません" in page
    assert f'href="{NEW}"' not in sign_in(cast.office_a_admin).get(LIST).content.decode()


BAD_INPUT = {
    "no proof": "指定通知書のファイルを選んでください。",
    "html proof": "「通知書.pdf」はPDF、PNG、JPEGのどれでもありません。",
    "pledge not accepted": "京都市に申請するには、誓約・同意事項を読んで「同意する」にチェックを入れてください。",
    "no insurer": "申請先の保険者を1つ以上選んでください。",
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_a_further_application_with_bad_input_is_refused_and_changes_nothing(
    cast: Cast, submit: Callable[..., Any], kyoto: Insurer, mailoutbox: Outbox, case: str
) -> None:
    post: dict[str, Any] = {"insurers": [kyoto.pk], "proof": proof_file(), **_pledge(kyoto)}
    if case == "no proof":
        del post["proof"]
    elif case == "html proof":
        post["proof"] = proof_file(html_page(), "通知書.pdf")
    elif case == "pledge not accepted":
        del post[f"pledge_{kyoto.pk}"]
    else:
        post["insurers"] = []

    def written() -> tuple[int, int, int]:
        # Signing in is audited too (auth:*); everything else must stay as it was.
        changes = AuditEvent.objects.exclude(event_type__startswith="auth:").count()
        return OfficeApproval.objects.count(), DesignationProof.objects.count(), changes

    before = written()

    response = submit(NEW, post)

    assert response.status_code == 200
    assert BAD_INPUT[case] in response.content.decode()
    assert written() == before
    assert mailoutbox == []


def test_the_service_refuses_anyone_but_an_office_admin(cast: Cast) -> None:
    from shinchoku.offices.services import application_submit  # noqa: PLC0415  # one test of the guard

    for user in (cast.office_a_cm, cast.a_admin):
        with pytest.raises(PermissionDenied):
            application_submit(actor=user, applications=[], proof=upload())


# -- re-submitting a returned application ------------------------------------------------------


def test_a_returned_application_is_re_submitted_with_a_new_proof_and_awaits_review_again(
    cast: Cast, submit: Callable[..., Any], sign_in: SignIn, mailoutbox: Outbox
) -> None:
    returned = _returned(cast)
    old_proof = returned.proof
    assert old_proof is not None
    page = sign_in(cast.office_a_admin).get(_resubmit_url(returned)).content.decode()
    assert REASON in page
    assert "横浜市の誓約・同意事項に同意する" in page

    response = submit(
        _resubmit_url(returned), {"proof": proof_file(png(), "鮮明な通知書.png"), **_pledge(cast.insurer_b)}
    )

    assert response.status_code == 302
    after = OfficeApproval.objects.get(pk=returned.pk)
    assert (after.status, after.reason, after.decided_at) == (S.PENDING, "", None)
    assert after.proof is not None
    assert (after.proof.file_name, after.proof.content_type) == ("鮮明な通知書.png", "image/png")
    assert not DesignationProof.objects.filter(pk=old_proof.pk).exists()  # replaced, held by no other application
    [event] = AuditEvent.objects.filter(event_type=EventType.OFFICES_APPLICATION_RESUBMITTED)
    assert event.details["from"] == "returned"
    assert event.details["to"] == "pending"
    assert event.details["returned_reason"] == REASON
    assert event.details["replaced_proof_sha256"] == "1" * 64
    assert (event.actor, event.insurer) == (cast.office_a_admin, cast.insurer_b)
    assert PledgeAcceptance.objects.filter(approval=returned).count() == 1
    assert [m.subject for m in mailoutbox] == ["[介護認定 進捗照会] 横浜市への利用申請を受け付けました"]
    # The insurer sees it awaiting review, and the new proof.
    assert (
        sign_in(cast.b_admin).get(reverse("offices:proof_download", kwargs={"approval_id": returned.pk})).content
        == png()
    )


def test_a_proof_another_insurer_still_holds_is_kept_when_replaced(cast: Cast) -> None:
    returned = _returned(cast)
    shared = returned.proof
    OfficeApproval.objects.filter(pk=cast.approval_a.pk).update(proof=shared)

    application_resubmit(
        actor=cast.office_a_admin,
        approval=returned,
        pledge_digest=pledge_current(cast.insurer_b).digest,
        proof=upload(),
    )

    assert DesignationProof.objects.filter(pk=shared.pk).exists()  # type: ignore[union-attr]
    assert OfficeApproval.objects.get(pk=cast.approval_a.pk).proof == shared


def test_only_returned_applications_can_be_re_submitted(
    cast: Cast, sign_in: SignIn, submit: Callable[..., Any]
) -> None:
    assert frozenset({S.RETURNED}) == RESUBMITTABLE
    page = sign_in(cast.office_a_admin).get(_resubmit_url(cast.approval_a)).content.decode()
    assert "この申請はいま「承認済み」のため、再提出できません。" in page
    assert 'type="file"' not in page

    response = submit(_resubmit_url(cast.approval_a), {"proof": proof_file(), **_pledge(cast.insurer_a)})

    assert response.status_code == 200
    assert OfficeApproval.objects.get(pk=cast.approval_a.pk).status == S.APPROVED
    assert not DesignationProof.objects.exists()
    for status in (S.PENDING, S.REJECTED, S.REVOKED, S.SUSPENDED):
        approval_set_status(actor=None, insurer=cast.insurer_a, office=cast.office_a, status=status, reason="理由")
        with pytest.raises(ValidationError) as refused:
            application_resubmit(
                actor=cast.office_a_admin,
                approval=cast.approval_a,
                pledge_digest=pledge_current(cast.insurer_a).digest,
                proof=upload(),
            )
        assert refused.value.code == "not_allowed"


def test_another_offices_application_is_not_found(cast: Cast, sign_in: SignIn, submit: Callable[..., Any]) -> None:
    returned = _returned(cast)

    assert sign_in(cast.office_b_admin).get(_resubmit_url(returned)).status_code == 404
    response = submit(
        _resubmit_url(returned), {"proof": proof_file(pdf()), **_pledge(cast.insurer_b)}, cast.office_b_admin
    )
    assert response.status_code == 404
    assert OfficeApproval.objects.get(pk=returned.pk).status == S.RETURNED
    with pytest.raises(PermissionDenied):
        application_resubmit(actor=cast.office_b_admin, approval=returned, pledge_digest="", proof=upload())


def test_re_submitting_asks_for_the_pledge_as_it_stands_now(cast: Cast, submit: Callable[..., Any]) -> None:
    returned = _returned(cast)
    stale = _pledge(cast.insurer_b)
    newer = pledge_create(actor=cast.b_admin, insurer=cast.insurer_b, text="横浜市の新しい誓約")

    response = submit(_resubmit_url(returned), {"proof": proof_file(), **stale})
    assert "横浜市の誓約・同意事項が改められました。" in response.content.decode()
    assert OfficeApproval.objects.get(pk=returned.pk).status == S.RETURNED

    submit(_resubmit_url(returned), {"proof": proof_file(), **_pledge(cast.insurer_b)})
    assert PledgeAcceptance.objects.get(approval=returned).pledge == newer
