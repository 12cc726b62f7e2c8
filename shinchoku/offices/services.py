"""Writes to care offices and their approval by insurers."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from shinchoku.accounts.permissions import Permission
from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record
from shinchoku.checklists.selectors import office_has_current_checklist, requires_checklist_for_approval
from shinchoku.insurers.models import Insurer
from shinchoku.lib.identifiers import check_office_number
from shinchoku.offices.decisions import DECISIONS, REASON_MAX_LENGTH, Action
from shinchoku.offices.models import (
    ApprovalStatus,
    CareOffice,
    OfficeApproval,
    OfficeKind,
)
from shinchoku.offices.notifications import send_decision_emails

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


@transaction.atomic
def office_create(
    *,
    actor: User | None,
    number: str,
    name: str,
    kind: OfficeKind,
    request: HttpRequest | None = None,
) -> CareOffice:
    checked = check_office_number(number)
    office = CareOffice(number=checked.value, name=name.strip(), kind=kind)
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
