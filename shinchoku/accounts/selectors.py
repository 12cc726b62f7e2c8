"""Reads of accounts, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from shinchoku.accounts.adapters import PRIMARY_FACTOR_TYPES
from shinchoku.accounts.dormancy import warning_is_current
from shinchoku.accounts.models import Invitation, User
from shinchoku.accounts.permissions import Permission
from shinchoku.accounts.roles import INSURER_ROLES, OFFICE_ROLES, Role
from shinchoku.offices.models import ApprovalStatus, CareOffice


def users_for_actor(actor: User) -> QuerySet[User]:
    """The accounts the actor may manage: their insurer's staff, their office's staff, or — for
    a platform admin — every insurer's admins (whom they created; nothing else of a tenant).

    Each carries its state: ``has_password`` (False until the invitation is accepted),
    ``invitation_expires_at`` (of the open invitation, if any), ``has_second_factor`` (an
    authenticator app or a passkey) and ``dormancy_warned``."""
    open_invitations = Invitation.objects.filter(
        user=OuterRef("pk"), used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-expires_at")
    base = User.objects.select_related("insurer", "office").annotate(
        dormancy_warned=ExpressionWrapper(Q(is_active=True) & warning_is_current(), output_field=BooleanField()),
        has_password=ExpressionWrapper(~Q(password__startswith=UNUSABLE_PASSWORD_PREFIX), output_field=BooleanField()),
        invitation_expires_at=Subquery(open_invitations.values("expires_at")[:1]),
        has_second_factor=Exists(Authenticator.objects.filter(user=OuterRef("pk"), type__in=PRIMARY_FACTOR_TYPES)),
    )
    if actor.can(Permission.ACCOUNTS_INSURER_STAFF_MANAGE) and actor.insurer_id is not None:
        return base.filter(insurer_id=actor.insurer_id, role__in=sorted(INSURER_ROLES))
    if actor.can(Permission.ACCOUNTS_OFFICE_STAFF_MANAGE) and actor.office_id is not None:
        return base.filter(office_id=actor.office_id, role__in=sorted(OFFICE_ROLES))
    if actor.can(Permission.INSURERS_INSURER_MANAGE):
        return base.filter(role=Role.INSURER_ADMIN)
    return base.none()


def user_for_actor(actor: User, user_id: int) -> User:
    """404 both when the account does not exist and when it is not the actor's to manage."""
    try:
        return users_for_actor(actor).get(pk=user_id)
    except User.DoesNotExist:
        raise Http404 from None


def sessions_of(actor: User) -> QuerySet[UserSession]:
    sessions: QuerySet[UserSession] = UserSession.objects.filter(user=actor).order_by("-last_seen_at")
    return sessions


@dataclass(frozen=True)
class AccountCounts:
    """Accounts of one office (or, ``office`` None, the insurer's own staff) by state; the three
    states do not overlap: "warned" accounts are still active but will be disabled unless used."""

    office: CareOffice | None
    approval_status: str  # the office's approval by the actor's insurer ("" for the own staff)
    active: int
    warned: int
    disabled: int

    @property
    def total(self) -> int:
        return self.active + self.warned + self.disabled

    @property
    def approval_status_label(self) -> str:
        return str(ApprovalStatus(self.approval_status).label) if self.approval_status else ""


def _state_counts(prefix: str) -> dict[str, Count]:
    return {
        "active_all": Count(f"{prefix}pk", filter=Q(**{f"{prefix}is_active": True})),
        "warned": Count(f"{prefix}pk", filter=Q(**{f"{prefix}is_active": True}) & warning_is_current(prefix)),
        "disabled": Count(f"{prefix}pk", filter=Q(**{f"{prefix}is_active": False})),
    }


def account_counts_for_actor(actor: User) -> list[AccountCounts]:
    """For an insurer admin: their own staff, then every office that applied to their insurer
    (whatever the decision), with how many accounts are active, warned as dormant and disabled.
    Counts only, never names: an office's people are the office's to manage. Two queries."""
    if not actor.can(Permission.ACCOUNTS_INSURER_STAFF_MANAGE) or actor.insurer_id is None:
        return []
    own = User.objects.filter(insurer_id=actor.insurer_id, role__in=sorted(INSURER_ROLES)).aggregate(
        **_state_counts("")
    )
    rows = [AccountCounts(None, "", own["active_all"] - own["warned"], own["warned"], own["disabled"])]
    # One approval row per (insurer, office) pair, so the join with users counts each user once.
    offices = (
        CareOffice.objects.filter(approvals__insurer_id=actor.insurer_id)
        .annotate(approval_status=F("approvals__status"), **_state_counts("users__"))
        .order_by("number")
    )
    rows += [
        AccountCounts(
            office,
            office.approval_status,
            office.active_all - office.warned,  # type: ignore[attr-defined]
            office.warned,  # type: ignore[attr-defined]
            office.disabled,  # type: ignore[attr-defined]
        )
        for office in offices
    ]
    return rows
