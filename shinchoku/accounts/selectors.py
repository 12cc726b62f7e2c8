"""Reads of accounts, scoped to the acting user."""

from __future__ import annotations

from allauth.usersessions.models import UserSession
from django.db.models import QuerySet
from django.http import Http404

from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission
from shinchoku.accounts.roles import INSURER_ROLES, OFFICE_ROLES


def users_for_actor(actor: User) -> QuerySet[User]:
    """The accounts the actor may manage: their insurer's staff, or their office's staff."""
    base = User.objects.select_related("insurer", "office")
    if actor.can(Permission.ACCOUNTS_INSURER_STAFF_MANAGE) and actor.insurer_id is not None:
        return base.filter(insurer_id=actor.insurer_id, role__in=sorted(INSURER_ROLES))
    if actor.can(Permission.ACCOUNTS_OFFICE_STAFF_MANAGE) and actor.office_id is not None:
        return base.filter(office_id=actor.office_id, role__in=sorted(OFFICE_ROLES))
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
