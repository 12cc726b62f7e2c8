"""Reads for care managers, scoped to their office and the insurers that approved it.

The key lookup (``case_by_key``) does the same query whatever the answer, and decides in
Python whether the office may see what it found, so "no such case", "a field does not match",
"not approved by this insurer" and "another insurer's case" cost the same (DESIGN T2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from shinchoku.accounts.permissions import Permission
from shinchoku.cases.models import Case
from shinchoku.checklists.selectors import with_lookup_gate
from shinchoku.insurers.models import Insurer
from shinchoku.lookup.models import Alert, Follow, Preference
from shinchoku.offices.selectors import insurers_approving

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


def lookup_access(actor: User) -> tuple[list[Insurer], list[Insurer]]:
    """The approving insurers whose cases the actor may look up now, and those withheld for want
    of a current security checklist (``checklists``), in one query. Re-read on every request,
    so a suspended or revoked approval, or a checklist that expired, takes effect at once.

    A withheld insurer is left out before any key is read, so it is treated exactly as an insurer
    that does not approve the office: the lookup, the linked list and the linked case alike. The
    pages name it only to say why (it concerns the actor's own office, not any case).
    """
    if not actor.can(Permission.LOOKUP_CASE_LOOKUP) or actor.office_id is None:
        return [], []
    gated = list(with_lookup_gate(insurers_approving(actor.office_id), actor.office_id))
    withheld = {i.pk for i in gated if getattr(i, "lookup_withheld")}  # noqa: B009 - an annotation
    return [i for i in gated if i.pk not in withheld], [i for i in gated if i.pk in withheld]


def lookup_insurers(actor: User) -> list[Insurer]:
    """The insurers whose cases the actor may look up now (``lookup_access``)."""
    return lookup_access(actor)[0]


@dataclass(frozen=True)
class KeyMatch:
    insurer: Insurer | None  # the insurer the lookup concerns, when known (for the audit trail)
    case: Case | None  # the case, only when it exists and the actor's office is approved
    reason: str  # for the audit trail only: "" (found), "not_found", "not_approved"


def case_by_key(
    actor: User,
    insurers: Sequence[Insurer],
    *,
    insurer_number: str,
    insured_index: str,
    applied_on: date,
    application_kind: str,
) -> KeyMatch:
    """The one case with this key at this insurer, if the actor's office may see it.

    ``insurers`` are those approving the actor's office, read by this request. Always one
    query, by the natural-key index, whether or not the insurer approves the office or the
    case exists; the approval is decided in Python afterwards.
    """
    found = (
        Case.objects.filter(
            insurer__number=insurer_number,
            insured_index=insured_index,
            applied_on=applied_on,
            application_kind=application_kind,
        )
        .select_related("insurer")
        .first()
    )
    approving = {i.pk: i for i in insurers} if actor.can(Permission.LOOKUP_CASE_LOOKUP) else {}
    named = next((i for i in approving.values() if i.number == insurer_number), None)
    if found is None:
        return KeyMatch(insurer=named, case=None, reason="not_found")
    if found.insurer_id not in approving:  # approving insurers are active ones only
        return KeyMatch(insurer=found.insurer, case=None, reason="not_approved")
    return KeyMatch(insurer=found.insurer, case=found, reason="")


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
