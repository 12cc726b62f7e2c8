"""What care managers do: look a case up by its key, list and open their office's linked
cases, follow them, choose notifications. Every function audits inside its own transaction,
and the reads refuse to answer when the audit write fails (DESIGN T3, T8).

The key lookup is the door an enumerator would use (DESIGN T2, the Kumamoto file). It does
the same work for every way of not finding a case, counts such misses per user, office,
client address and service-wide, and stops lookups for a cooling period when a limit is
reached, telling the insurers' admins by e-mail and in the service.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.services import audit_record, audit_record_or_refuse
from shinchoku.cases.identity import decrypt_insured, insured_index
from shinchoku.cases.models import Case
from shinchoku.cases.progress import Progress, case_progress
from shinchoku.insurers.models import Insurer
from shinchoku.lookup import selectors
from shinchoku.lookup.limits import Block, Breach, miss_counter, miss_keys
from shinchoku.lookup.models import Alert, Follow, Preference
from shinchoku.web.http import client_ip
from shinchoku.web.mail import render_message, send_or_log

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LookupResult:
    """What the lookup page shows: a case, "nothing found", or "stopped for now"."""

    case: Case | None = None
    insured_number: str = ""
    progress: Progress | None = None
    linked: bool = False  # the case's office on file is the actor's office
    show_care_level: bool = False
    block: Block | None = None

    @property
    def found(self) -> bool:
        return self.case is not None


def show_care_level(case: Case, *, linked: bool) -> bool:
    """要介護度 only where the insurer publishes it and only to the office on file (新座市)."""
    return linked and case.insurer.care_level_enabled and bool(case.care_level)


def case_lookup(
    *,
    actor: User,
    insurers: Sequence[Insurer],
    insurer_number: str,
    insured_number: str,
    applied_on: date,
    application_kind: str,
    request: HttpRequest | None = None,
) -> LookupResult:
    """The case with exactly this 被保険者番号, 申請日 and 申請区分 at the named insurer.

    ``insurers`` are those that approve the actor's office (read by the caller for its form).
    Whatever the reason nothing is shown, the result, the queries and the keyed hashes are the
    same; only the audit event says why, for the insurer's review.
    """
    now = timezone.now()
    keys = miss_keys(user_id=actor.pk, office_id=actor.office_id, ip=client_ip(request) if request else None)
    index = insured_index(insurer_number, insured_number)
    named = next((i for i in insurers if i.number == insurer_number), None)
    details: dict[str, object] = {"insurer_number": insurer_number, "index": index}
    with transaction.atomic():
        block = miss_counter().blocked(keys, now=now)
        if block is not None:
            audit_record_or_refuse(
                event_type=EventType.LOOKUP_CASE_LOOKED_UP,
                actor=actor,
                request=request,
                insurer=named,
                outcome=Outcome.DENIED,
                details={**details, "result": "blocked", "scope": block.scope, "until": block.until.isoformat()},
            )
            return LookupResult(block=block)

        match = selectors.case_by_key(
            actor,
            insurers,
            insurer_number=insurer_number,
            insured_index=index,
            applied_on=applied_on,
            application_kind=application_kind,
        )
        case = match.case
        if case is None:
            audit_record_or_refuse(
                event_type=EventType.LOOKUP_CASE_LOOKED_UP,
                actor=actor,
                request=request,
                insurer=match.insurer,
                outcome=Outcome.FAILURE,
                details={**details, "result": "miss", "reason": match.reason},
            )
        else:
            number = decrypt_insured(case.insurer.number, case.insured_number_enc)
            linked = actor.office is not None and case.office_number == actor.office.number
            audit_record_or_refuse(
                event_type=EventType.LOOKUP_CASE_LOOKED_UP,
                actor=actor,
                request=request,
                insurer=case.insurer,
                target=case,
                details={**details, "result": "hit", "linked": linked},
            )
    if case is None:
        # Counted once the miss and its audit row are committed: a lookup refused for want of
        # its audit row is not counted, and no counter row stays locked while the trail is
        # written (every miss of the service waits on the "global" row).
        _count_miss(actor, keys, now=now, named=match.insurer, approving=insurers, request=request)
        return LookupResult()
    return LookupResult(
        case=case,
        insured_number=number,
        progress=case_progress(case, today=timezone.localdate()),
        linked=linked,
        show_care_level=show_care_level(case, linked=linked),
    )


def _count_miss(
    actor: User,
    keys: dict[str, str],
    *,
    now: datetime,
    named: Insurer | None,
    approving: Sequence[Insurer],
    request: HttpRequest | None,
) -> None:
    """Counts the miss; a limit it reaches is recorded as an alert in the same transaction."""
    with transaction.atomic():
        breaches = miss_counter().record_miss(keys, now=now)
        if breaches:
            _raise_alerts(actor, breaches, named=named, approving=approving, now=now, request=request)


# -- alerts when a limit is reached -----------------------------------------------------------


def _alert_subject(actor: User, breach: Breach) -> str:
    if breach.scope == Alert.Scope.USER:
        return actor.email
    if breach.scope == Alert.Scope.OFFICE and actor.office is not None:
        return str(actor.office)
    if breach.scope == Alert.Scope.IP:
        return breach.key.removeprefix("ip:")  # what was counted: the address, or its IPv6 /64
    return str(Alert.Scope.GLOBAL.label)


def _alerted_insurers(breach: Breach, *, named: Insurer | None, approving: Sequence[Insurer]) -> list[Insurer]:
    """Service-wide bursts concern every insurer; others, the insurer named in the lookup and
    every insurer that approved the office (they all lent it their trust)."""
    if breach.scope == Alert.Scope.GLOBAL:
        return list(Insurer.objects.filter(is_active=True).order_by("number"))
    chosen = {i.pk: i for i in approving}
    if named is not None:
        chosen.setdefault(named.pk, named)
    return [chosen[pk] for pk in sorted(chosen)]


def _raise_alerts(
    actor: User,
    breaches: list[Breach],
    *,
    named: Insurer | None,
    approving: Sequence[Insurer],
    now: datetime,
    request: HttpRequest | None,
) -> None:
    alerts: list[Alert] = []
    for breach in breaches:
        subject = _alert_subject(actor, breach)
        insurers = _alerted_insurers(breach, named=named, approving=approving)
        if not insurers:
            # An office no insurer approves, naming no real insurer: nobody to tell, but the
            # stop is still on the record (the office's chain).
            audit_record_or_refuse(
                event_type=EventType.LOOKUP_LIMIT_EXCEEDED,
                actor=actor,
                request=request,
                outcome=Outcome.DENIED,
                details=_breach_details(breach),
            )
        for insurer in insurers:
            alert = Alert.objects.create(
                insurer=insurer,
                created_at=now,
                scope=breach.scope,
                subject=subject[:254],
                misses=breach.misses,
                window_seconds=int(breach.window.total_seconds()),
                blocked_until=breach.until,
            )
            audit_record_or_refuse(
                event_type=EventType.LOOKUP_LIMIT_EXCEEDED,
                actor=actor,
                request=request,
                insurer=insurer,
                target=alert,
                outcome=Outcome.DENIED,
                details=_breach_details(breach),
            )
            alerts.append(alert)
    transaction.on_commit(partial(send_alert_emails, [a.pk for a in alerts]))


def _breach_details(breach: Breach) -> dict[str, object]:
    return {
        "scope": breach.scope,
        "misses": breach.misses,
        "window_seconds": int(breach.window.total_seconds()),
        "until": breach.until.isoformat(),
    }


def _duration(seconds: int) -> str:
    delta = timedelta(seconds=seconds)
    if delta >= timedelta(hours=1) and delta % timedelta(hours=1) == timedelta(0):
        return translation.gettext("%(n)d時間") % {"n": delta // timedelta(hours=1)}
    return translation.gettext("%(n)d分") % {"n": max(delta // timedelta(minutes=1), 1)}


def send_alert_emails(alert_ids: list[int]) -> int:
    """One e-mail per alert to each active admin of its insurer; sent after the lookup's
    transaction committed. A mail failure is logged and does not undo the stop."""
    messages = []
    for alert in Alert.objects.filter(pk__in=alert_ids).select_related("insurer").order_by("pk"):
        admins = list(
            User.objects.filter(insurer=alert.insurer, role=Role.INSURER_ADMIN, is_active=True)
            .order_by("pk")
            .values_list("email", flat=True)
        )
        if not admins:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            window = _duration(alert.window_seconds)
        context = {
            "alert": alert,
            "window": window,
            "until": timezone.localtime(alert.blocked_until),
            "url": settings.BASE_URL + reverse("lookup:alert_list"),
        }
        messages.append(render_message("lookup/email/limit_alert", context, admins))
    return send_or_log(messages, "lookup stop alerts")


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: Alert, request: HttpRequest | None = None) -> Alert:
    """Marks an alert as seen (who and when), so the next admin knows someone looked."""
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = actor
    alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit_record(
        event_type=EventType.LOOKUP_ALERT_ACKNOWLEDGED,
        actor=actor,
        request=request,
        target=alert,
        details={"scope": alert.scope},
    )
    return alert


# -- the office's linked cases ------------------------------------------------------------------


@dataclass(frozen=True)
class LinkedGroup:
    insurer: Insurer
    rows: list[LinkedRow]


@dataclass(frozen=True)
class LinkedRow:
    case: Case
    insured_number: str
    progress: Progress
    show_care_level: bool
    followed: bool


def linked_cases_list(
    *, actor: User, insurers: Sequence[Insurer], request: HttpRequest | None = None
) -> list[LinkedGroup]:
    """The cases whose office on file is the actor's, per approving insurer; one audit event per
    insurer lists the case rows shown, so the trail tells who saw which application."""
    today = timezone.localdate()
    with transaction.atomic():
        cases = list(selectors.linked_cases_for_actor(actor, list(insurers)))
        followed = selectors.followed_case_ids(actor, [c.pk for c in cases])
        groups: list[LinkedGroup] = []
        for insurer in insurers:
            mine = [c for c in cases if c.insurer_id == insurer.pk]
            audit_record_or_refuse(
                event_type=EventType.LOOKUP_LINKED_LISTED,
                actor=actor,
                request=request,
                insurer=insurer,
                details={"count": len(mine), "cases": [c.pk for c in mine]},
            )
            rows = [
                LinkedRow(
                    case=c,
                    insured_number=decrypt_insured(insurer.number, c.insured_number_enc),
                    progress=case_progress(c, today=today),
                    show_care_level=show_care_level(c, linked=True),
                    followed=c.pk in followed,
                )
                for c in mine
            ]
            groups.append(LinkedGroup(insurer=insurer, rows=rows))
    return groups


def linked_case_view(*, actor: User, case_id: int, request: HttpRequest | None = None) -> LinkedRow:
    """One linked case (404 otherwise), recorded as viewed."""
    with transaction.atomic():
        case = selectors.linked_case_for_actor(actor, case_id)
        followed = bool(selectors.followed_case_ids(actor, [case.pk]))
        audit_record_or_refuse(
            event_type=EventType.LOOKUP_CASE_VIEWED,
            actor=actor,
            request=request,
            insurer=case.insurer,
            target=case,
            details={"linked": True},
        )
    return LinkedRow(
        case=case,
        insured_number=decrypt_insured(case.insurer.number, case.insured_number_enc),
        progress=case_progress(case, today=timezone.localdate()),
        show_care_level=show_care_level(case, linked=True),
        followed=followed,
    )


@transaction.atomic
def case_follow(*, actor: User, case_id: int, follow: bool, request: HttpRequest | None = None) -> bool:
    """Starts or stops following a linked case; True when something changed."""
    case = selectors.linked_case_for_actor(actor, case_id)
    if follow:
        changed = Follow.objects.get_or_create(user=actor, case=case)[1]
    else:
        changed = Follow.objects.filter(user=actor, case=case).delete()[0] > 0
    if changed:
        audit_record(
            event_type=EventType.LOOKUP_CASE_FOLLOWED if follow else EventType.LOOKUP_CASE_UNFOLLOWED,
            actor=actor,
            request=request,
            insurer=case.insurer,
            target=case,
        )
    return changed


@transaction.atomic
def preference_set(*, actor: User, email_on_followed_change: bool, request: HttpRequest | None = None) -> Preference:
    preference, _ = Preference.objects.select_for_update().get_or_create(user=actor)
    if preference.email_on_followed_change != email_on_followed_change:
        preference.email_on_followed_change = email_on_followed_change
        preference.save(update_fields=["email_on_followed_change", "updated_at"])
        audit_record(
            event_type=EventType.LOOKUP_PREFERENCE_UPDATED,
            actor=actor,
            request=request,
            details={"email_on_followed_change": email_on_followed_change},
        )
    return preference
