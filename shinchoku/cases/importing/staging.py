"""A temporary staging table per import, filled by COPY (PostgreSQL) or executemany (SQLite),
then merged into ``cases_case`` with one INSERT … ON CONFLICT statement.

Everything happens inside the caller's transaction: a crash, a kill -9 or any error leaves no
trace in ``cases_case``. Only encrypted numbers and blind indexes ever reach the staging table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from django.db import connection

from shinchoku.cases.models import MILESTONE_FIELDS

TABLE = "shinchoku_import_staging"
DATA_COLUMNS: tuple[str, ...] = (
    "insured_index",
    "insured_number_enc",
    "applied_on",
    "application_kind",
    *MILESTONE_FIELDS,
    "closure",
    "extension_reason",
    "office_number",
    "care_level",
    "content_digest",
)
STAGING_COLUMNS: tuple[str, ...] = ("line", "is_closed", *DATA_COLUMNS)
_TYPES = {
    "line": "integer",
    "is_closed": "smallint",
    "insured_index": "varchar(64)",
    "insured_number_enc": "text",
    "applied_on": "date",
    "application_kind": "varchar(1)",
    "closure": "varchar(16)",
    "extension_reason": "varchar(200)",
    "office_number": "varchar(10)",
    "care_level": "varchar(2)",
    "content_digest": "varchar(64)",
    **dict.fromkeys(MILESTONE_FIELDS, "date"),
}
_SQLITE_BATCH = 5000


def _create_sql() -> str:
    columns = ", ".join(f"{name} {_TYPES[name]}" for name in STAGING_COLUMNS)
    suffix = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    return f"CREATE TEMP TABLE {TABLE} ({columns}){suffix}"


class StagingWriter:
    """``with StagingWriter() as staging: staging.write(row)`` — rows in STAGING_COLUMNS order."""

    def __init__(self) -> None:
        self._cursor: Any = None
        self._copy: Any = None
        self._copy_cm: Any = None
        self._batch: list[Sequence[object]] = []
        self.count = 0

    def __enter__(self) -> StagingWriter:
        self._cursor = connection.cursor()
        self._cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        self._cursor.execute(_create_sql())
        if connection.vendor == "postgresql":
            columns = ", ".join(STAGING_COLUMNS)
            self._copy_cm = self._cursor.cursor.copy(f"COPY {TABLE} ({columns}) FROM STDIN")
            self._copy = self._copy_cm.__enter__()
        return self

    def write(self, row: Sequence[object]) -> None:
        self.count += 1
        if self._copy is not None:
            self._copy.write_row(row)
            return
        self._batch.append(row)
        if len(self._batch) >= _SQLITE_BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            placeholders = ", ".join(["%s"] * len(STAGING_COLUMNS))
            self._cursor.executemany(
                f"INSERT INTO {TABLE} ({', '.join(STAGING_COLUMNS)}) VALUES ({placeholders})", self._batch
            )
            self._batch = []

    def close_input(self) -> None:
        """Finish loading; the table stays for the queries that follow."""
        if self._copy_cm is not None:
            self._copy_cm.__exit__(None, None, None)
            self._copy_cm = self._copy = None
        self._flush()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._copy_cm is not None:
            # On error, abandon the COPY; the surrounding transaction rolls back anyway.
            try:
                self._copy_cm.__exit__(exc_type, exc, tb)
            finally:
                self._copy_cm = self._copy = None
        if exc_type is None and connection.vendor == "sqlite":
            self._cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        self._cursor.close()

    # -- queries over the loaded rows ----------------------------------------------------------
    def duplicates(self, limit: int = 100) -> list[tuple[int, int]]:
        """Pairs of (first line, other line) that carry the same case key twice."""
        self._cursor.execute(
            f"SELECT MIN(line), MAX(line) FROM {TABLE} "
            "GROUP BY insured_index, applied_on, application_kind HAVING COUNT(*) > 1 "
            "ORDER BY MIN(line) LIMIT %s",
            [limit],
        )
        return [(int(a), int(b)) for a, b in self._cursor.fetchall()]

    def classify(self, insurer_id: int) -> Counts:
        self._cursor.execute(
            f"""
            SELECT
              COALESCE(SUM(CASE WHEN c.id IS NULL THEN 1 ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN c.id IS NOT NULL AND c.content_digest <> s.content_digest THEN 1 ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN c.id IS NOT NULL AND c.content_digest = s.content_digest THEN 1 ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN s.is_closed = 1
                            AND (c.id IS NULL OR (c.closure = '' AND c.certified_on IS NULL)) THEN 1 ELSE 0 END), 0)
            FROM {TABLE} s
            LEFT JOIN cases_case c
              ON c.insurer_id = %s AND c.insured_index = s.insured_index
             AND c.applied_on = s.applied_on AND c.application_kind = s.application_kind
            """,
            [insurer_id],
        )
        created, updated, unchanged, closed = self._cursor.fetchone()
        return Counts(int(created), int(updated), int(unchanged), int(closed))

    def merge(self, *, insurer_id: int, source: str, import_id: int, now: datetime) -> None:
        columns = ", ".join(DATA_COLUMNS)
        updates = ", ".join(
            f"{name} = excluded.{name}"
            for name in (*DATA_COLUMNS[2:], "source", "last_import_id", "updated_at")
            if name not in ("applied_on", "application_kind")
        )
        self._cursor.execute(
            f"""
            INSERT INTO cases_case (insurer_id, {columns}, source, last_import_id, created_at, updated_at)
            SELECT %s, {columns}, %s, %s, %s, %s FROM {TABLE} WHERE true
            ON CONFLICT (insurer_id, insured_index, applied_on, application_kind) DO UPDATE SET {updates}
            WHERE cases_case.content_digest <> excluded.content_digest
            """,
            [insurer_id, source, import_id, now, now],
        )


@dataclass(frozen=True)
class Counts:
    created: int
    updated: int
    unchanged: int
    closed: int
