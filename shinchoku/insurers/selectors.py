"""Reads of insurers (tenants), scoped to the acting user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from shinchoku.accounts.permissions import Permission
from shinchoku.insurers.models import Insurer

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


def insurers_for_actor(actor: User) -> QuerySet[Insurer]:
    """Every insurer for a platform admin (who manages tenants), none for anyone else."""
    if actor.can(Permission.INSURERS_INSURER_MANAGE):
        return Insurer.objects.order_by("number")
    return Insurer.objects.none()


def insurer_for_actor(actor: User, insurer_id: int) -> Insurer:
    try:
        return insurers_for_actor(actor).get(pk=insurer_id)
    except Insurer.DoesNotExist:
        raise Http404 from None
