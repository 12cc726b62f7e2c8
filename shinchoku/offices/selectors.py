"""Reads of care offices, scoped to the acting user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, Count, OuterRef, QuerySet, Value, When
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


def approvals_pending_first(actor: User) -> QuerySet[OfficeApproval]:
    """The insurer's list for review: applications awaiting a decision first, then by number."""
    return (
        approvals_for_actor(actor)
        .alias(waiting=Case(When(status=ApprovalStatus.PENDING, then=Value(0)), default=Value(1)))
        .order_by("waiting", "office__number")
    )


def approval_status_counts(actor: User) -> dict[ApprovalStatus, int]:
    """How many of the actor's approvals are in each status (every status, zeros included)."""
    found = dict(approvals_for_actor(actor).order_by().values_list("status").annotate(n=Count("pk")))
    return {status: found.get(status.value, 0) for status in ApprovalStatus}


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
