"""Writes to care offices and their approval by insurers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record
from shinchoku.insurers.models import Insurer
from shinchoku.lib.identifiers import check_office_number
from shinchoku.offices.models import (
    ApprovalStatus,
    CareOffice,
    OfficeApproval,
    OfficeKind,
)

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
