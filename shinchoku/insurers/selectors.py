"""Reads of insurers (tenants) scoped to the acting user, and of an insurer's pledge."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation

from shinchoku.accounts.permissions import Permission
from shinchoku.insurers.models import Insurer, Pledge

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


# -- the pledge (誓約・同意事項): the insurer is the acting admin's own, or one an office applies to


DEFAULT_PLEDGE_TEMPLATE = "insurers/pledge_default.txt"


@dataclass(frozen=True)
class PledgeText:
    """The pledge an office is asked to accept now: the latest version, or the default text."""

    insurer: Insurer
    text: str
    pledge: Pledge | None  # None: the insurer has not written one; ``text`` is the default

    @property
    def version(self) -> int | None:
        return self.pledge.version if self.pledge is not None else None

    @property
    def digest(self) -> str:
        """Names the exact text shown, so an acceptance can be refused if it changed meanwhile."""
        return pledge_digest(self.text)


def pledge_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_pledge_text(insurer: Insurer) -> str:
    # The pledge is a text offices accept, so it is always in the service's language (Japanese).
    with translation.override(settings.LANGUAGE_CODE):
        text = render_to_string(
            DEFAULT_PLEDGE_TEMPLATE, {"insurer": insurer.name, "service": str(settings.SERVICE_NAME)}
        )
    return text.strip() + "\n"


def pledge_latest(insurer: Insurer) -> Pledge | None:
    return Pledge.objects.filter(insurer=insurer).select_related("created_by").order_by("-version").first()


def pledge_current(insurer: Insurer) -> PledgeText:
    latest = pledge_latest(insurer)
    if latest is None:
        return PledgeText(insurer, default_pledge_text(insurer), None)
    return PledgeText(insurer, latest.text, latest)


def pledge_versions(insurer: Insurer) -> QuerySet[Pledge]:
    """The insurer's versions, newest first, each with ``accepted``: how many acceptances it has."""
    return (
        Pledge.objects.filter(insurer=insurer)
        .select_related("created_by")
        .annotate(accepted=Count("acceptances"))
        .order_by("-version")
    )
