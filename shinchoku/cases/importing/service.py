"""Importing a file of cases for one insurer: validate everything, then write atomically.

One pass over the file: each valid row is encrypted, indexed and streamed into a staging
table while every problem is collected; if any problem was found the transaction is rolled
back and nothing is imported. Then duplicates are checked, the outcome counted and the rows
merged. The same file twice changes nothing (content digests compare equal).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, BinaryIO, NoReturn

from django.db import transaction
from django.utils import timezone

from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.services import audit_record
from shinchoku.cases.codes import Source
from shinchoku.cases.identity import Sealer
from shinchoku.cases.importing.columns import HeaderError, resolve_header
from shinchoku.cases.importing.digest import content_digest
from shinchoku.cases.importing.rows import RECORD_FIELDS, RowParser, RowProblem
from shinchoku.cases.importing.staging import DATA_COLUMNS, Counts, StagingWriter
from shinchoku.cases.models import ColumnMapping, ImportRun
from shinchoku.cases.signals import import_merged
from shinchoku.insurers.models import Insurer
from shinchoku.lib.csvdecode import CsvDecodeError, CsvFormatError, detect_encoding, iter_csv_rows_stream

if TYPE_CHECKING:
    from shinchoku.accounts.models import User

MAX_REPORTED_PROBLEMS = 1000
_INDEX = {name: i for i, name in enumerate(RECORD_FIELDS)}


@dataclass
class ImportOutcome:
    run: ImportRun
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    warnings: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


class _Rejected(Exception):
    """Raised inside the transaction to roll it back."""


def _file_problem(reason: str, line: int = 0) -> RowProblem:
    return RowProblem(line, "ファイル全体", "", reason)


# Positions in a parsed record of the staging columns that come straight from it.
_RECORD_POSITIONS = tuple(_INDEX[name] for name in DATA_COLUMNS[2:-1])
_CLOSURE, _CERTIFIED = _INDEX["closure"], _INDEX["certified_on"]


def _staging_row(sealer: Sealer, line: int, record: tuple[object, ...]) -> tuple[object, ...]:
    """One row in STAGING_COLUMNS order: line, closed flag, index, ciphertext, fields, digest.

    The digest is shared with staff corrections (cases.services), so a corrected case differs
    from the municipal file until the next import restores the source's truth."""
    number = str(record[0])
    closed = 1 if (record[_CLOSURE] or record[_CERTIFIED] is not None) else 0
    return (
        line,
        closed,
        sealer.index(number),
        sealer.encrypt(number),
        *[record[i] for i in _RECORD_POSITIONS],
        content_digest(record),
    )


def cases_import(
    *,
    actor: User | None,
    actor_label: str,
    insurer: Insurer,
    data: bytes,
    file_name: str,
    channel: ImportRun.Channel,
    dry_run: bool = False,
    today: date | None = None,
) -> ImportOutcome:
    """Imports a CSV file held in memory (an upload): see :func:`cases_import_stream`."""
    return cases_import_stream(
        actor=actor,
        actor_label=actor_label,
        insurer=insurer,
        stream=io.BytesIO(data),
        file_name=file_name,
        channel=channel,
        dry_run=dry_run,
        today=today,
    )


def cases_import_stream(
    *,
    actor: User | None,
    actor_label: str,
    insurer: Insurer,
    stream: BinaryIO,
    file_name: str,
    channel: ImportRun.Channel,
    dry_run: bool = False,
    today: date | None = None,
) -> ImportOutcome:
    """Imports a CSV file from a seekable byte stream without holding it in memory.

    One pass finds the encoding (strict UTF-8, then strict CP932) and the file's SHA-256;
    a second pass decodes, parses and stages row by row.
    """
    failure: CsvDecodeError | None = None
    try:
        encoding, digest = detect_encoding(stream)
    except CsvDecodeError as exc:
        failure, encoding = exc, ""
        stream.seek(0)
        digest = hashlib.file_digest(stream, "sha256").hexdigest()  # type: ignore[arg-type]  # BinaryIO lacks readinto in typeshed; real streams have it

    def rows(outcome: ImportOutcome) -> Iterator[tuple[int, list[str]]]:
        if failure is not None:
            _reject(outcome, [_file_problem(str(failure))])
        outcome.run.encoding = encoding
        return iter_csv_rows_stream(stream, encoding)

    return _import(
        actor=actor,
        actor_label=actor_label,
        insurer=insurer,
        file_name=file_name,
        file_sha256=digest,
        channel=channel,
        dry_run=dry_run,
        today=today,
        rows=rows,
    )


def cases_import_rows(
    *,
    actor: User | None,
    actor_label: str,
    insurer: Insurer,
    header: list[str],
    rows: list[list[str]],
    channel: ImportRun.Channel,
    dry_run: bool = False,
    today: date | None = None,
) -> ImportOutcome:
    """Imports rows that arrived already split (the JSON API): same checks, same outcome.

    ``header`` may use the Japanese headers or the field names of ``columns.COLUMNS``; row
    numbers in problems count the header as line 1, like a file would.
    """
    digest = hashlib.sha256(repr((header, rows)).encode("utf-8")).hexdigest()
    numbered = [(1, header), *((i + 2, row) for i, row in enumerate(rows))]
    return _import(
        actor=actor,
        actor_label=actor_label,
        insurer=insurer,
        file_name="",
        file_sha256=digest,
        channel=channel,
        dry_run=dry_run,
        today=today,
        rows=lambda outcome: iter(numbered),
    )


def _import(
    *,
    actor: User | None,
    actor_label: str,
    insurer: Insurer,
    file_name: str,
    file_sha256: str,
    channel: ImportRun.Channel,
    dry_run: bool,
    today: date | None,
    rows: Callable[[ImportOutcome], Iterator[tuple[int, list[str]]]],
) -> ImportOutcome:
    run = ImportRun(
        insurer=insurer,
        actor=actor,
        actor_label=actor_label[:254],
        channel=channel,
        file_name=file_name[:255],
        file_sha256=file_sha256,
        started_at=timezone.now(),
    )
    outcome = ImportOutcome(run=run)
    try:
        with transaction.atomic():
            _load(outcome, rows, today=today or timezone.localdate(), dry_run=dry_run)
    except _Rejected:
        pass
    _record(outcome, dry_run=dry_run)
    return outcome


def _load(
    outcome: ImportOutcome,
    source: Callable[[ImportOutcome], Iterator[tuple[int, list[str]]]],
    *,
    today: date,
    dry_run: bool,
) -> None:
    run = outcome.run
    rows = source(outcome)
    try:
        parser = _parser_for(outcome, rows, today)
        with StagingWriter() as staging:
            _stage(outcome, parser, rows, staging)
            _check_and_merge(outcome, staging, dry_run=dry_run)
    except CsvFormatError as exc:
        _reject(outcome, [_file_problem(str(exc), exc.line)])
    audit_record(
        event_type=EventType.CASES_IMPORT_COMPLETED,
        actor=run.actor,
        actor_label=run.actor_label,
        insurer=run.insurer,
        target=run,
        details=_audit_details(run),
    )


def _parser_for(outcome: ImportOutcome, rows: Iterator[tuple[int, list[str]]], today: date) -> RowParser:
    """Reads the header row and maps its columns (built-in aliases plus the insurer's own)."""
    insurer = outcome.run.insurer
    first = next(rows, None)
    if first is None:
        _reject(outcome, [_file_problem("見出し行がありません。")])
    header_line, headers = first
    extra: dict[str, list[str]] = {}
    for mapping in ColumnMapping.objects.filter(insurer=insurer):
        extra.setdefault(mapping.field, []).append(mapping.header)
    try:
        columns = resolve_header(headers, extra)
    except HeaderError as exc:
        _reject(outcome, [_file_problem(p, header_line) for p in exc.problems])
    return RowParser(columns, headers, today=today, care_level_enabled=insurer.care_level_enabled)


def _stage(
    outcome: ImportOutcome, parser: RowParser, rows: Iterator[tuple[int, list[str]]], staging: StagingWriter
) -> None:
    """Streams valid rows into staging; once a problem is found, only collects problems."""
    problems: list[RowProblem] = []
    problem_count = 0
    sealer = Sealer(outcome.run.insurer.number)
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines between records are harmless
        record, found = parser.parse(line, cells)
        if record is None:
            problem_count += len(found)
            if len(problems) < MAX_REPORTED_PROBLEMS:
                problems.extend(found[: MAX_REPORTED_PROBLEMS - len(problems)])
        elif problem_count == 0:
            staging.write(_staging_row(sealer, line, record))
    staging.close_input()
    outcome.warnings = parser.warnings
    if problem_count:
        outcome.problem_count = problem_count
        _reject(outcome, problems)


def _check_and_merge(outcome: ImportOutcome, staging: StagingWriter, *, dry_run: bool) -> None:
    run = outcome.run
    duplicates = staging.duplicates()
    if duplicates:
        _reject(
            outcome,
            [
                _file_problem(f"{b}行目は{a}行目と同じ申請(被保険者番号・申請日・申請区分が同じ)です。", b)
                for a, b in duplicates
            ],
        )
    run.rows = staging.count
    _apply_counts(run, staging.classify(run.insurer.pk))
    if dry_run:
        raise _Rejected
    run.status = ImportRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    staging.merge(insurer_id=run.insurer.pk, source=Source.IMPORT, import_id=run.pk, now=run.finished_at)
    # Past every way of rejecting the file and the dry-run exit, and still in the transaction:
    # receivers defer their work to on_commit, so a later failure (the audit write) sends nothing.
    import_merged.send(sender=ImportRun, run=run)


def _apply_counts(run: ImportRun, counts: Counts) -> None:
    run.created, run.updated, run.unchanged, run.closed = (
        counts.created,
        counts.updated,
        counts.unchanged,
        counts.closed,
    )


def _reject(outcome: ImportOutcome, problems: list[RowProblem]) -> NoReturn:
    outcome.problems = problems
    outcome.problem_count = max(outcome.problem_count, len(problems))
    raise _Rejected


def _audit_details(run: ImportRun) -> dict[str, object]:
    return {
        "status": run.status,
        "channel": run.channel,
        "file_sha256": run.file_sha256,
        "rows": run.rows,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "closed": run.closed,
        "errors": run.error_count,
    }


@transaction.atomic
def _record(outcome: ImportOutcome, *, dry_run: bool) -> None:
    """After a rollback (rejected or dry run) keep the history row and the audit event."""
    run = outcome.run
    if run.pk is not None:
        return  # committed with the import itself
    run.status = ImportRun.Status.REJECTED if outcome.problem_count else ImportRun.Status.DRY_RUN
    run.error_count = outcome.problem_count
    if run.status == ImportRun.Status.REJECTED:
        run.rows = run.created = run.updated = run.unchanged = run.closed = 0
    run.finished_at = timezone.now()
    run.save()
    audit_record(
        event_type=EventType.CASES_IMPORT_REJECTED if outcome.problem_count else EventType.CASES_IMPORT_CHECKED,
        outcome=Outcome.FAILURE if outcome.problem_count else Outcome.SUCCESS,
        actor=run.actor,
        actor_label=run.actor_label,
        insurer=run.insurer,
        target=run,
        details=_audit_details(run),
    )
