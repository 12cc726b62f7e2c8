"""Reads of care offices, scoped to the acting user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import OuterRef, QuerySet
from django.http import Http404

from shinchoku.accounts.permissions import Permission
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import ApprovalStatus, OfficeApproval

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


def approvals_for_actor(actor: User) -> QuerySet[OfficeApproval]:
    """An insurer sees the offices that applied to it; nobody sees another insurer's list."""
    base = OfficeApproval.objects.select_related("office", "insurer")
    if actor.can(Permission.OFFICES_OFFICE_READ) and actor.insurer_id is not None:
        return base.filter(insurer_id=actor.insurer_id)
    return base.none()


def approval_for_actor(actor: User, approval_id: int) -> OfficeApproval:
    try:
        return approvals_for_actor(actor).get(pk=approval_id)
    except OfficeApproval.DoesNotExist:
        raise Http404 from None


def insurers_approving(office_id: int | OuterRef) -> QuerySet[Insurer]:
    """Insurers whose cases this office's care managers may look up right now.

    ``office_id`` may be an ``OuterRef``, to apply the same rule to many offices in one query.
    """
    return Insurer.objects.filter(
        is_active=True,
        office_approvals__office_id=office_id,
        office_approvals__status=ApprovalStatus.APPROVED,
    ).order_by("number")
