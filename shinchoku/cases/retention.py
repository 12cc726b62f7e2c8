"""Erasing cases kept past need (DESIGN §3, T9) and recording each erasure (消去記録, seed 002 items 11–12).

A case expires on whichever limit comes first:

* it is closed (認定日, or 取下げ・却下 with its date) and the later of those dates lies more than
  ``retention_days_after_closure`` days before ``today``;
* its 申請日 lies more than ``retention_days_after_application`` days before ``today``, decided or not.

On the day a limit is reached the case is still kept; it goes the day after. The erasure record
says how many cases went, their range of 申請日, the policy applied and which job ran, plus a
SHA-256 over the blind indexes, 申請日 and 申請区分 of the deleted rows: whoever kept a copy of
those keys (a backup, an export) can prove which cases a record covers, while the record itself
holds no 被保険者番号 and nothing that reveals one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record
from shinchoku.cases.models import Case, ErasureRecord
from shinchoku.insurers.models import Insurer

_DELETE_CHUNK = 1000  # ids per DELETE: well under SQLite's bound-parameter limit


def retention_policy(insurer: Insurer) -> dict[str, int]:
    """The snapshot kept in an erasure record."""
    return {
        "after_closure": insurer.retention_days_after_closure,
        "after_application": insurer.retention_days_after_application,
    }


def last_day_kept(
    *,
    applied_on: date,
    certified_on: date | None,
    closed_on: date | None,
    after_closure: int,
    after_application: int,
) -> date:
    """The last day a case may be kept; it is erased on any later day (the rule of ``expired_cases``)."""
    last = applied_on + timedelta(days=after_application)
    ends = [d for d in (certified_on, closed_on) if d is not None]
    if ends:
        last = min(last, max(ends) + timedelta(days=after_closure))
    return last


def expired_cases(insurer: Insurer, today: date) -> QuerySet[Case]:
    """The insurer's cases past either retention limit on ``today``."""
    closure_cutoff = today - timedelta(days=insurer.retention_days_after_closure)
    application_cutoff = today - timedelta(days=insurer.retention_days_after_application)
    # "The later of 認定日 and 取下げ日 is before the cutoff", written so a missing date never counts.
    closed_long_ago = (
        (Q(certified_on__isnull=False) | Q(closed_on__isnull=False))
        & (Q(certified_on__isnull=True) | Q(certified_on__lt=closure_cutoff))
        & (Q(closed_on__isnull=True) | Q(closed_on__lt=closure_cutoff))
    )
    return Case.objects.filter(insurer=insurer).filter(closed_long_ago | Q(applied_on__lt=application_cutoff))


def erasure_digest(keys: Iterable[tuple[str, date, str]]) -> str:
    """SHA-256 over (blind index, 申請日, 申請区分) of the erased cases, sorted: order-independent.

    One line per case, ``<index> <YYYY-MM-DD> <kind>\\n``; anyone holding the same keys can
    recompute it. Never fed a 被保険者番号.
    """
    digest = hashlib.sha256()
    for index, applied_on, kind in sorted((i, a.isoformat(), k) for i, a, k in keys):
        digest.update(f"{index} {applied_on} {kind}\n".encode("ascii"))
    return digest.hexdigest()


@transaction.atomic
def cases_purge_expired(*, insurer: Insurer, today: date, job: str) -> ErasureRecord | None:
    """Deletes the insurer's expired cases and records the erasure; None when nothing had expired.

    Running it again on the same day finds nothing and writes nothing: an erasure record always
    stands for cases that were actually deleted.
    """
    rows = list(
        expired_cases(insurer, today)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", "insured_index", "applied_on", "application_kind")
    )
    if not rows:
        return None
    ids = [pk for pk, _, _, _ in rows]
    for start in range(0, len(ids), _DELETE_CHUNK):
        Case.objects.filter(pk__in=ids[start : start + _DELETE_CHUNK]).delete()
    applied = [applied_on for _, _, applied_on, _ in rows]
    record = ErasureRecord.objects.create(
        insurer=insurer,
        job=job[:100],
        ran_at=timezone.now(),
        deleted_count=len(rows),
        applied_from=min(applied),
        applied_to=max(applied),
        keys_digest=erasure_digest((index, applied_on, kind) for _, index, applied_on, kind in rows),
        policy=retention_policy(insurer),
    )
    audit_record(
        event_type=EventType.CASES_ERASURE_RECORDED,
        actor_label=record.job,
        insurer=insurer,
        target=record,
        details={
            "deleted": record.deleted_count,
            "applied_from": min(applied).isoformat(),
            "applied_to": max(applied).isoformat(),
            "policy": record.policy,
            "today": today.isoformat(),
            "keys_digest": record.keys_digest,
        },
    )
    return record
