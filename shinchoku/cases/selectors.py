"""Reads of case data, scoped to the acting user's insurer. The only door to ``Case`` rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from shinchoku.accounts.permissions import Permission
from shinchoku.cases.identity import insured_index
from shinchoku.cases.models import Case, ColumnMapping, ErasureRecord, ImportRun
from shinchoku.lib.identifiers import IdentifierError, check_insured_number

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


def cases_for_actor(actor: User) -> QuerySet[Case]:
    """Insurer staff see their own insurer's cases; nobody else sees case rows here."""
    if not actor.can(Permission.CASES_CASE_READ) or actor.insurer_id is None:
        return Case.objects.none()
    return Case.objects.filter(insurer_id=actor.insurer_id).select_related("insurer")


def case_for_actor(actor: User, case_id: int) -> Case:
    """404 for "no such case" and "not your insurer's" alike."""
    try:
        return cases_for_actor(actor).get(pk=case_id)
    except Case.DoesNotExist:
        raise Http404 from None


def cases_by_insured_number(actor: User, raw_number: str) -> QuerySet[Case]:
    """Exact match through the blind index; an invalid number simply matches nothing."""
    if actor.insurer is None:
        return Case.objects.none()
    try:
        number = check_insured_number(raw_number)
    except IdentifierError:
        return Case.objects.none()
    return cases_for_actor(actor).filter(insured_index=insured_index(actor.insurer.number, number))


def import_runs_for_actor(actor: User) -> QuerySet[ImportRun]:
    """Import history: staff, admins and the operator of the insurer (no identifiers in it)."""
    if not actor.can(Permission.CASES_IMPORT_HISTORY_READ) or actor.insurer_id is None:
        return ImportRun.objects.none()
    return ImportRun.objects.filter(insurer_id=actor.insurer_id).order_by("-started_at")


def import_run_for_actor(actor: User, run_id: int) -> ImportRun:
    try:
        return import_runs_for_actor(actor).get(pk=run_id)
    except ImportRun.DoesNotExist:
        raise Http404 from None


def erasure_records_for_actor(actor: User) -> QuerySet[ErasureRecord]:
    if not actor.can(Permission.CASES_ERASURE_READ) or actor.insurer_id is None:
        return ErasureRecord.objects.none()
    return ErasureRecord.objects.filter(insurer_id=actor.insurer_id).order_by("-ran_at")


def erasure_record_for_actor(actor: User, record_id: int) -> ErasureRecord:
    try:
        return erasure_records_for_actor(actor).get(pk=record_id)
    except ErasureRecord.DoesNotExist:
        raise Http404 from None


def column_mappings_for_actor(actor: User) -> QuerySet[ColumnMapping]:
    """The insurer's own header aliases: its admins manage them (they hold no case data)."""
    if not actor.can(Permission.INSURERS_POLICY_MANAGE) or actor.insurer_id is None:
        return ColumnMapping.objects.none()
    return ColumnMapping.objects.filter(insurer_id=actor.insurer_id).order_by("field", "header", "pk")


def column_mapping_for_actor(actor: User, mapping_id: int) -> ColumnMapping:
    """404 for "no such alias" and "another insurer's" alike."""
    try:
        return column_mappings_for_actor(actor).get(pk=mapping_id)
    except ColumnMapping.DoesNotExist:
        raise Http404 from None
