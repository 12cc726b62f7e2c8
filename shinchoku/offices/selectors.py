"""Reads of care offices, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, OuterRef, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from shinchoku.accounts.models import Invitation, User
from shinchoku.accounts.permissions import Permission
from shinchoku.accounts.roles import Role
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import ApprovalStatus, CareOffice, OfficeApproval, PledgeAcceptance


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


def office_number_taken(number: str) -> bool:
    """Whether an office with this (normalised) number is registered. Office numbers are public
    (介護サービス情報公表システム), so the registration form may say so without being an oracle."""
    return CareOffice.objects.filter(number=number).exists()


def applications_for_actor(actor: User) -> QuerySet[OfficeApproval]:
    """An office admin sees their own office's applications, to every insurer; nobody else any."""
    base = OfficeApproval.objects.select_related("insurer", "proof")
    if actor.can(Permission.OFFICES_APPLICATION_SUBMIT) and actor.office_id is not None:
        return base.filter(office_id=actor.office_id).order_by("insurer__number")
    return base.none()


def application_for_actor(actor: User, approval_id: int) -> OfficeApproval:
    try:
        return applications_for_actor(actor).select_related("office").get(pk=approval_id)
    except OfficeApproval.DoesNotExist:
        raise Http404 from None


def insurers_open_to(actor: User) -> QuerySet[Insurer]:
    """Active insurers the actor's office has not applied to yet (none for anyone else)."""
    if not actor.can(Permission.OFFICES_APPLICATION_SUBMIT) or actor.office_id is None:
        return Insurer.objects.none()
    return Insurer.objects.filter(is_active=True).exclude(office_approvals__office_id=actor.office_id)


def insurers_open_to_registration() -> QuerySet[Insurer]:
    """Every active insurer: the public registration form offers them all."""
    return Insurer.objects.filter(is_active=True)


def approval_with_proof_for_actor(actor: User, approval_id: int) -> OfficeApproval:
    """An application of the actor's insurer, for opening its proof (404 otherwise)."""
    if not actor.can(Permission.OFFICES_PROOF_READ):
        raise Http404
    try:
        return approvals_for_actor(actor).select_related("proof").get(pk=approval_id, proof__isnull=False)
    except OfficeApproval.DoesNotExist:
        raise Http404 from None


def pledge_acceptances_of(approval: OfficeApproval) -> QuerySet[PledgeAcceptance]:
    """The acceptances made with this application (the approval was found through the actor)."""
    return approval.pledge_acceptances.select_related("pledge", "user").order_by("-accepted_at")


@dataclass(frozen=True)
class OfficeAdmin:
    """An office admin as the insurer's review sees them: set up yet, and if not, their link."""

    user: User
    has_password: bool
    invitation_expires_at: datetime | None  # of the open invitation; None: none open (lapsed or used)


def office_admins_of(approval: OfficeApproval) -> list[OfficeAdmin]:
    """The active admins of the approval's office (found through the actor already), for review."""
    now = timezone.now()
    admins = []
    for user in User.objects.filter(office_id=approval.office_id, role=Role.OFFICE_ADMIN, is_active=True).order_by(
        "pk"
    ):
        open_invitation = (
            Invitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
            .order_by("-expires_at")
            .first()
        )
        admins.append(
            OfficeAdmin(user, user.has_usable_password(), open_invitation.expires_at if open_invitation else None)
        )
    return admins
