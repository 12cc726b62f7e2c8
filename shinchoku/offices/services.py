"""Writes to care offices and their approval by insurers."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from shinchoku.accounts.invitations import invitation_issue
from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import user_create
from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record, audit_record_or_refuse
from shinchoku.checklists.selectors import office_has_current_checklist, requires_checklist_for_approval
from shinchoku.insurers.models import Insurer, Pledge
from shinchoku.insurers.services import pledge_for_acceptance
from shinchoku.lib.identifiers import check_office_number
from shinchoku.offices import proofs
from shinchoku.offices.decisions import DECISIONS, REASON_MAX_LENGTH, RESUBMITTABLE, Action
from shinchoku.offices.models import (
    ApprovalStatus,
    CareOffice,
    DesignationProof,
    OfficeApproval,
    OfficeKind,
    PledgeAcceptance,
)
from shinchoku.offices.notifications import send_decision_emails, send_received_emails
from shinchoku.offices.proofs import ProofUpload
from shinchoku.web.http import client_ip


@transaction.atomic
def office_create(
    *,
    actor: User | None,
    number: str,
    name: str,
    kind: OfficeKind,
    phone: str = "",
    contact_name: str = "",
    request: HttpRequest | None = None,
) -> CareOffice:
    checked = check_office_number(number)
    office = CareOffice(
        number=checked.value, name=name.strip(), kind=kind, phone=phone.strip(), contact_name=contact_name.strip()
    )
    office.full_clean()
    office.save()
    audit_record(
        event_type=EventType.OFFICES_OFFICE_CREATED,
        actor=actor,
        request=request,
        office=office,
        target=office,
        details={"number": office.number, "check_digit_warning": bool(checked.warning)},
    )
    return office


@transaction.atomic
def approval_set_status(
    *,
    actor: User | None,
    insurer: Insurer,
    office: CareOffice,
    status: ApprovalStatus,
    reason: str = "",
    request: HttpRequest | None = None,
) -> OfficeApproval:
    """Records the insurer's decision on an office; takes effect on the office's next request."""
    approval, _ = OfficeApproval.objects.select_for_update().get_or_create(insurer=insurer, office=office)
    previous = approval.status
    if previous == status and approval.reason == reason:
        return approval
    approval.status = status
    approval.reason = reason
    approval.decided_at = timezone.now()
    approval.save(update_fields=["status", "reason", "decided_at"])
    audit_record(
        event_type=EventType.OFFICES_APPROVAL_DECIDED,
        actor=actor,
        request=request,
        insurer=insurer,
        office=office,
        target=approval,
        details={"from": str(previous), "to": str(status), "reason": reason[:200]},
    )
    return approval


@transaction.atomic
def approval_decide(
    *,
    actor: User,
    approval: OfficeApproval,
    action: Action,
    reason: str = "",
    request: HttpRequest | None = None,
) -> OfficeApproval:
    """An insurer admin's decision on an office's application or approval (``decisions``).

    Refuses, with a ``ValidationError`` to show as it is, a decision the current status does not
    allow (a page left open while someone else decided) and one that lacks its reason. Once the
    decision has committed, the office's active admins are told by e-mail.
    """
    # Defence in depth: the view asks for the permission and finds the approval through the
    # actor's insurer already.
    if not actor.can(Permission.OFFICES_APPROVAL_DECIDE) or actor.insurer_id != approval.insurer_id:
        raise PermissionDenied
    decision = DECISIONS[Action(action)]
    reason = reason.strip()
    current = OfficeApproval.objects.select_for_update().select_related("insurer", "office").get(pk=approval.pk)
    params = {"action": decision.label, "status": current.get_status_display()}
    if current.status not in decision.sources:
        raise ValidationError(
            gettext(
                "この事業所はいま「%(status)s」のため、「%(action)s」はできません。"
                "この画面を開いた後に状態が変わった可能性があります。表示されている最新の状態を確認してください。"
            ),
            code="not_allowed",
            params=params,
        )
    if (
        decision.action == Action.APPROVE
        and requires_checklist_for_approval(current.insurer)
        and not office_has_current_checklist(current.office)
    ):
        raise ValidationError(
            gettext(
                "この保険者は、有効な情報安全管理チェックリストを承認の条件にしています。"
                "この事業所のチェックリストは未提出か有効期限切れのため、承認できません。"
                "事業所の管理者がチェックリストに回答・署名した後に承認してください(差し戻して依頼することもできます)。"
            ),
            code="checklist_required",
        )
    if decision.needs_reason and not reason:
        message = gettext("「%(action)s」には理由が必要です(事業所に通知されます)。")
        raise ValidationError({"reason": ValidationError(message, code="required", params=params)})
    if len(reason) > REASON_MAX_LENGTH:
        message = gettext("理由は%(n)d文字以内で書いてください。")
        raise ValidationError({"reason": ValidationError(message, code="max_length", params={"n": REASON_MAX_LENGTH})})
    if current.status == decision.to and current.reason == reason:
        # A second press of the same button, or the same decision from two pages: not news.
        raise ValidationError(
            gettext("この事業所はすでに「%(status)s」で、理由も同じです。変更はありません。"),
            code="unchanged",
            params=params,
        )
    decided = approval_set_status(
        actor=actor,
        insurer=current.insurer,
        office=current.office,
        status=decision.to,
        reason=reason,
        request=request,
    )
    # The decision's own values, not the row's, in case another decision follows at once.
    transaction.on_commit(partial(send_decision_emails, decided.pk, decision.action, reason))
    return decided


# -- applications: registration, further insurers, re-submission (issue 5 item 1) ---------------


@dataclass(frozen=True)
class Application:
    """One insurer applied to, with the digest of the pledge text the applicant was shown."""

    insurer: Insurer
    pledge_digest: str


@dataclass(frozen=True)
class Registration:
    office: CareOffice
    applicant: User
    approvals: list[OfficeApproval]


class EmailTaken(Exception):
    """The applicant's address already has an account. The page must not say so (it would tell
    anyone which addresses have accounts); the address's owner is told by e-mail instead."""


def office_number_taken_message() -> str:
    return gettext(
        "この介護保険事業所番号の事業所は、すでにこのサービスに登録されています。"
        "ほかの保険者への利用申請は、貴事業所の管理者がログインして「利用申請」の画面から行えます。"
        "管理者が分からないときは、申請先の保険者の介護保険担当課にお問い合わせください。"
    )


@transaction.atomic
def office_register(
    *,
    number: str,
    name: str,
    kind: OfficeKind,
    phone: str,
    contact_name: str,
    applicant_name: str,
    applicant_email: str,
    applications: Sequence[Application],
    proof: ProofUpload,
    request: HttpRequest | None = None,
) -> Registration:
    """Registers an office on the public form: the office, its first admin (the applicant, with no
    password yet), one pending application per insurer with the proof and the pledge accepted,
    and the applicant's invitation to set a password. All of it or nothing.

    Refuses with ``ValidationError`` a number already registered (office numbers are public,
    in the 介護サービス情報公表システム, so saying so reveals nothing) and whatever
    ``_applications_submit`` refuses; raises ``EmailTaken`` for an address with an account.
    """
    email = applicant_email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken
    checked = check_office_number(number)
    if CareOffice.objects.filter(number=checked.value).exists():
        raise ValidationError({"number": office_number_taken_message()}, code="taken")
    try:
        office = office_create(
            actor=None,
            number=checked.value,
            name=name,
            kind=kind,
            phone=phone,
            contact_name=contact_name,
            request=request,
        )
    except IntegrityError:
        # Registered by someone else between the check and here (office_create's savepoint is gone).
        raise ValidationError({"number": office_number_taken_message()}, code="taken") from None
    applicant = user_create(
        actor=None,
        email=email,
        display_name=applicant_name.strip(),
        role=Role.OFFICE_ADMIN,
        office=office,
        password=None,
        request=request,
    )
    approvals = _applications_submit(
        actor=applicant, office=office, applications=applications, proof=proof, request=request
    )
    # The applicant sets their own password through the e-mailed link (sent once this commits),
    # then enrols a second factor; nobody, the applicant included, types a password on this form.
    invitation_issue(actor=None, user=applicant, request=request)
    return Registration(office=office, applicant=applicant, approvals=approvals)


@transaction.atomic
def application_submit(
    *,
    actor: User,
    applications: Sequence[Application],
    proof: ProofUpload,
    request: HttpRequest | None = None,
) -> list[OfficeApproval]:
    """A signed-in office admin applies their office to further insurers."""
    if not actor.can(Permission.OFFICES_APPLICATION_SUBMIT) or actor.office is None:
        raise PermissionDenied
    return _applications_submit(
        actor=actor, office=actor.office, applications=applications, proof=proof, request=request
    )


def _applications_submit(
    *,
    actor: User,
    office: CareOffice,
    applications: Sequence[Application],
    proof: ProofUpload,
    request: HttpRequest | None,
) -> list[OfficeApproval]:
    if not applications:
        raise ValidationError({"insurers": gettext("申請先の保険者を1つ以上選んでください。")}, code="required")
    stored = _proof_store(actor=actor, office=office, proof=proof)
    approvals = []
    for application in sorted(applications, key=lambda a: a.insurer.number):
        insurer = Insurer.objects.select_for_update().get(pk=application.insurer.pk)
        if not insurer.is_active:
            raise ValidationError(
                {"insurers": gettext("%(insurer)sは、いま利用申請を受け付けていません。") % {"insurer": insurer.name}},
                code="inactive",
            )
        if OfficeApproval.objects.filter(insurer=insurer, office=office).exists():
            raise ValidationError(
                {"insurers": gettext("%(insurer)sには、すでに申請しています。") % {"insurer": insurer.name}},
                code="exists",
            )
        pledge = pledge_for_acceptance(actor=actor, insurer=insurer, digest=application.pledge_digest, request=request)
        approval = OfficeApproval.objects.create(
            insurer=insurer, office=office, status=ApprovalStatus.PENDING, proof=stored
        )
        audit_record(
            event_type=EventType.OFFICES_APPLICATION_SUBMITTED,
            actor=actor,
            request=request,
            insurer=insurer,
            office=office,
            target=approval,
            details={"number": office.number, **_proof_details(stored)},
        )
        _pledge_accept(actor=actor, approval=approval, pledge=pledge, request=request)
        approvals.append(approval)
    ids = [a.pk for a in approvals]
    transaction.on_commit(partial(send_received_emails, ids, actor.pk))
    return approvals


@transaction.atomic
def application_resubmit(
    *,
    actor: User,
    approval: OfficeApproval,
    pledge_digest: str,
    proof: ProofUpload,
    request: HttpRequest | None = None,
) -> OfficeApproval:
    """The office sends a returned application again, with a new proof: back to pending.

    Only a returned application can be re-submitted (``decisions.RESUBMITTABLE``); the
    insurer's reason for returning it is kept in the audit trail and cleared from the row, which
    now awaits a fresh decision. The proof it replaces is deleted unless another insurer's
    application still holds it.
    """
    if not actor.can(Permission.OFFICES_APPLICATION_SUBMIT) or actor.office_id != approval.office_id:
        raise PermissionDenied
    current = OfficeApproval.objects.select_for_update().select_related("insurer", "office").get(pk=approval.pk)
    if current.status not in RESUBMITTABLE:
        raise ValidationError(
            gettext("この申請はいま「%(status)s」のため、再提出できません。再提出できるのは差し戻された申請だけです。"),
            code="not_allowed",
            params={"status": current.get_status_display()},
        )
    if not current.insurer.is_active:
        raise ValidationError(
            gettext("%(insurer)sは、いま利用申請を受け付けていません。") % {"insurer": current.insurer.name},
            code="inactive",
        )
    pledge = pledge_for_acceptance(actor=actor, insurer=current.insurer, digest=pledge_digest, request=request)
    replaced = current.proof
    stored = _proof_store(actor=actor, office=current.office, proof=proof)
    previous_reason = current.reason
    current.status = ApprovalStatus.PENDING
    current.reason = ""
    current.decided_at = None
    current.proof = stored
    current.save(update_fields=["status", "reason", "decided_at", "proof"])
    if replaced is not None and not replaced.approvals.exists():
        replaced.delete()
    audit_record(
        event_type=EventType.OFFICES_APPLICATION_RESUBMITTED,
        actor=actor,
        request=request,
        insurer=current.insurer,
        office=current.office,
        target=current,
        details={
            "from": ApprovalStatus.RETURNED.value,
            "to": ApprovalStatus.PENDING.value,
            "returned_reason": previous_reason[:REASON_MAX_LENGTH],
            "replaced_proof_sha256": replaced.sha256 if replaced is not None else "",
            **_proof_details(stored),
        },
    )
    _pledge_accept(actor=actor, approval=current, pledge=pledge, request=request)
    transaction.on_commit(partial(send_received_emails, [current.pk], actor.pk))
    return current


def _proof_store(*, actor: User, office: CareOffice, proof: ProofUpload) -> DesignationProof:
    return DesignationProof.objects.create(
        office=office,
        content_type=proof.type.content_type,
        size=len(proof.data),
        sha256=proof.sha256,
        file_name=proof.file_name,
        sealed=proofs.seal(office.pk, proof.data),
        uploaded_by=actor,
    )


def _proof_details(proof: DesignationProof) -> dict[str, str | int]:
    return {"proof_type": proof.content_type, "proof_size": proof.size, "proof_sha256": proof.sha256}


def _pledge_accept(
    *, actor: User, approval: OfficeApproval, pledge: Pledge, request: HttpRequest | None
) -> PledgeAcceptance:
    acceptance = PledgeAcceptance.objects.create(
        office=approval.office,
        approval=approval,
        pledge=pledge,
        user=actor,
        accepted_at=timezone.now(),
        ip=_address(request),
    )
    audit_record(
        event_type=EventType.OFFICES_PLEDGE_ACCEPTED,
        actor=actor,
        request=request,
        insurer=approval.insurer,
        office=approval.office,
        target=acceptance,
        details={"pledge_version": pledge.version, "pledge_id": pledge.pk, "approval_id": approval.pk},
    )
    return acceptance


def _address(request: HttpRequest | None) -> str | None:
    raw = client_ip(request) if request is not None else None
    try:
        return ipaddress.ip_address(raw).compressed if raw else None
    except ValueError:
        return None


@transaction.atomic
def proof_open(
    *, actor: User, approval: OfficeApproval, request: HttpRequest | None = None
) -> tuple[DesignationProof, bytes]:
    """The proof of ``approval`` for its insurer's admin, recorded before it is served (fail closed).

    Raises ``Http404`` when the application has no proof; the view has found the approval
    through the actor's insurer already, and this checks again.
    """
    if not actor.can(Permission.OFFICES_PROOF_READ) or actor.insurer_id != approval.insurer_id:
        raise PermissionDenied
    proof = approval.proof
    if proof is None:
        raise Http404
    data = proofs.open_proof(proof)
    audit_record_or_refuse(
        event_type=EventType.OFFICES_PROOF_OPENED,
        actor=actor,
        request=request,
        insurer=approval.insurer,
        office=approval.office,
        target=proof,
        details={"approval_id": approval.pk, "proof_sha256": proof.sha256},
    )
    return proof, data


@transaction.atomic
def applicant_reinvite(*, actor: User, approval: OfficeApproval, request: HttpRequest | None = None) -> list[User]:
    """An insurer admin sends a fresh invitation to the office's admins who never set a password.

    A registered office has nobody else who could: its first admin is the applicant, whose link
    may have lapsed before they used it. The new link goes to the admin's own address (the
    insurer admin never sees it) and revokes any earlier one.
    """
    if not actor.can(Permission.OFFICES_APPROVAL_DECIDE) or actor.insurer_id != approval.insurer_id:
        raise PermissionDenied
    waiting = [
        user
        for user in User.objects.filter(office_id=approval.office_id, role=Role.OFFICE_ADMIN, is_active=True).order_by(
            "pk"
        )
        if not user.has_usable_password()
    ]
    if not waiting:
        raise ValidationError(
            gettext("この事業所には、パスワードを設定していない管理者はいません。"), code="nobody_waiting"
        )
    for user in waiting:
        invitation_issue(actor=actor, user=user, request=request)
    return waiting
