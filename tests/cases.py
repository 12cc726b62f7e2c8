"""Case rows for tests, sealed the way the importer seals them (encrypted number, blind index)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from shinchoku.cases.codes import ApplicationKind, Source
from shinchoku.cases.identity import encrypt_insured, insured_index
from shinchoku.cases.models import Case
from shinchoku.insurers.models import Insurer


def make_case(
    insurer: Insurer,
    number: str,
    applied_on: date,
    *,
    kind: str = ApplicationKind.NEW,
    **fields: Any,
) -> Case:
    """One case of ``insurer``; ``fields`` sets milestones, office_number, care_level, …"""
    return Case.objects.create(
        insurer=insurer,
        insured_index=insured_index(insurer.number, number),
        insured_number_enc=encrypt_insured(insurer.number, number),
        applied_on=applied_on,
        application_kind=kind,
        content_digest="0" * 64,
        source=Source.IMPORT,
        updated_at=timezone.now(),
        **fields,
    )
