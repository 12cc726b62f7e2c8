"""Reads of the audit trail, scoped to the acting user's insurer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from shinchoku.accounts.permissions import Permission
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditChainHead, AuditEvent
from shinchoku.offices.models import OfficeApproval

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


def events_for_actor(actor: User) -> QuerySet[AuditEvent]:
    """An insurer's auditors and admins see its own events and those of offices that applied to it."""
    if not actor.can(Permission.AUDIT_TRAIL_READ) or actor.insurer_id is None:
        return AuditEvent.objects.none()
    office_ids = OfficeApproval.objects.filter(insurer_id=actor.insurer_id).values("office_id")
    return (
        AuditEvent.objects.filter(Q(insurer_id=actor.insurer_id) | Q(insurer__isnull=True, office_id__in=office_ids))
        .select_related("actor", "office", "insurer")
        .order_by("-occurred_at", "-id")
    )


def event_for_actor(actor: User, event_id: int) -> AuditEvent:
    try:
        return events_for_actor(actor).get(pk=event_id)
    except AuditEvent.DoesNotExist:
        raise Http404 from None


def chains_for_actor(actor: User) -> list[str]:
    """The chains an auditor may verify: those of their own insurer."""
    if not actor.can(Permission.AUDIT_TRAIL_VERIFY) or actor.insurer_id is None:
        return []
    prefix = f"insurer:{actor.insurer_id}:"
    # Chains with events but no head too: a deleted head must be reported, not skipped.
    heads = AuditChainHead.objects.filter(chain__startswith=prefix).values_list("chain", flat=True)
    with_events = AuditEvent.objects.filter(chain__startswith=prefix).values_list("chain", flat=True).distinct()
    return sorted(set(heads) | set(with_events))


# Named views of the trail for review (issue 4 item 7): which lookups to look at first.
REVIEW_FILTERS: dict[str, Q] = {
    # A care manager opened a case whose office on file is not theirs.
    "unlinked_lookups": Q(event_type=EventType.LOOKUP_CASE_LOOKED_UP, details__result="hit", details__linked=False),
    # Lookups that found nothing or were refused, and the stops they caused.
    "lookup_misses": Q(event_type=EventType.LOOKUP_CASE_LOOKED_UP, details__result__in=["miss", "blocked"])
    | Q(event_type=EventType.LOOKUP_LIMIT_EXCEEDED),
}
