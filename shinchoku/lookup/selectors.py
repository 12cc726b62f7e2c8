"""Reads for care managers, scoped to their office and the insurers that approved it.

The key lookup (``case_by_key``) does the same queries whatever the answer, and decides in
Python whether the office may see what it found, so "no such case", "a field does not match",
"not approved by this insurer" and "another insurer's case" cost the same (DESIGN T2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from shinchoku.accounts.permissions import Permission
from shinchoku.cases.models import Case
from shinchoku.insurers.models import Insurer
from shinchoku.lookup.models import Alert, Follow, Preference
from shinchoku.offices.models import ApprovalStatus, OfficeApproval
from shinchoku.offices.selectors import insurers_approving

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


def lookup_insurers(actor: User) -> list[Insurer]:
    """The insurers whose cases the actor may look up now (re-read on every request, so a
    suspended or revoked approval takes effect at once)."""
    if not actor.can(Permission.LOOKUP_CASE_LOOKUP) or actor.office_id is None:
        return []
    return list(insurers_approving(actor.office_id))


@dataclass(frozen=True)
class KeyMatch:
    insurer: Insurer | None  # the insurer the actor named, if it exists (for the audit trail)
    case: Case | None  # the case, only when it exists and the actor's office is approved
    reason: str  # for the audit trail only: "" (found), "not_found", "not_approved"


def case_by_key(
    actor: User, *, insurer_number: str, insured_index: str, applied_on: date, application_kind: str
) -> KeyMatch:
    """The one case with this key at this insurer, if the actor's office may see it.

    Always two queries — the named insurer, then the case with the approval of the actor's
    office as a column — whether or not either exists.
    """
    insurer = Insurer.objects.filter(number=insurer_number).first()
    approved = OfficeApproval.objects.filter(
        insurer_id=OuterRef("insurer_id"), office_id=actor.office_id, status=ApprovalStatus.APPROVED
    )
    found = (
        Case.objects.filter(
            insurer__number=insurer_number,
            insured_index=insured_index,
            applied_on=applied_on,
            application_kind=application_kind,
        )
        .annotate(office_approved=Exists(approved))
        .select_related("insurer")
        .first()
    )
    allowed = (
        found is not None
        and actor.can(Permission.LOOKUP_CASE_LOOKUP)
        and actor.office_id is not None
        and found.insurer.is_active
        and bool(getattr(found, "office_approved", False))
    )
    if allowed:
        return KeyMatch(insurer=insurer, case=found, reason="")
    return KeyMatch(insurer=insurer, case=None, reason="not_approved" if found is not None else "not_found")


def linked_cases_for_actor(actor: User, insurers: list[Insurer]) -> QuerySet[Case]:
    """Cases whose office on file is the actor's office, at the insurers that approved it."""
    if not insurers or actor.office is None or not actor.can(Permission.LOOKUP_CASE_LOOKUP):
        return Case.objects.none()
    return (
        Case.objects.filter(insurer__in=insurers, office_number=actor.office.number)
        .select_related("insurer")
        .order_by("insurer__number", "-applied_on", "-pk")
    )


def linked_case_for_actor(actor: User, case_id: int) -> Case:
    """404 for "no such case", "not linked to your office" and "not approved" alike."""
    try:
        return linked_cases_for_actor(actor, lookup_insurers(actor)).get(pk=case_id)
    except Case.DoesNotExist:
        raise Http404 from None


def followed_case_ids(actor: User, case_ids: list[int]) -> set[int]:
    return set(Follow.objects.filter(user=actor, case_id__in=case_ids).values_list("case_id", flat=True))


def preference_for_actor(actor: User) -> Preference:
    """The actor's notification choice (an unsaved default when never changed)."""
    return Preference.objects.filter(user=actor).first() or Preference(user=actor)


def alerts_for_actor(actor: User) -> QuerySet[Alert]:
    """Lookup stops at the actor's insurer, newest first: its admins and auditors see them."""
    if not actor.can(Permission.LOOKUP_ALERT_REVIEW) or actor.insurer_id is None:
        return Alert.objects.none()
    return Alert.objects.filter(insurer_id=actor.insurer_id).order_by("-created_at", "-pk")


def alert_for_actor(actor: User, alert_id: int) -> Alert:
    try:
        return alerts_for_actor(actor).get(pk=alert_id)
    except Alert.DoesNotExist:
        raise Http404 from None
