"""Turning one CSV row into a normalised case record, or into precise, Japanese errors.

Plain Python and hot: a million-row import runs this a million times, so lookups are dicts,
dates go through the memoised era parser and nothing is compiled per row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from shinchoku.cases.importing.columns import COLUMN_BY_FIELD, COLUMNS, DATE_FIELDS
from shinchoku.lib.eras import DateFormatError, parse_date
from shinchoku.lib.identifiers import INSURED_NUMBER_RE, IdentifierError, check_office_number

# Every field a record carries, in one fixed order shared by the staging table and the digest.
RECORD_FIELDS: tuple[str, ...] = (
    "insured_number",
    "applied_on",
    "application_kind",
    "survey_requested_on",
    "survey_scheduled_on",
    "survey_done_on",
    "opinion_requested_on",
    "opinion_received_on",
    "primary_judged_on",
    "committee_scheduled_on",
    "committee_held_on",
    "certified_on",
    "result_sent_on",
    "closure",
    "closed_on",
    "extension_notified_on",
    "extension_reason",
    "extension_expected_on",
    "office_number",
    "care_level",
)
assert set(RECORD_FIELDS) == {c.field for c in COLUMNS}  # noqa: S101 - a module invariant

# Things that have happened cannot be dated after the day of the import (scheduled ones can).
PAST_ONLY_FIELDS = frozenset(
    {
        "applied_on",
        "survey_requested_on",
        "survey_done_on",
        "opinion_requested_on",
        "opinion_received_on",
        "primary_judged_on",
        "committee_held_on",
        "certified_on",
        "result_sent_on",
        "closed_on",
        "extension_notified_on",
    }
)

_KIND_WORDS = {
    "1": "1", "新規": "1", "新規申請": "1",
    "2": "2", "更新": "2", "更新申請": "2",
    "3": "3", "区分変更": "3", "変更": "3", "区変": "3", "区分変更申請": "3",
    "4": "4", "職権": "4",
    "5": "5", "転入": "5",
    "6": "6", "資格喪失": "6", "資格喪失(死亡)": "6", "死亡": "6",
    "A": "A", "新規(事前)": "A", "事前新規": "A",
    "B": "B", "更新(事前)": "B", "事前更新": "B",
}  # fmt: skip
_CLOSURE_WORDS = {"取下げ": "withdrawn", "取下": "withdrawn", "取り下げ": "withdrawn", "却下": "rejected"}
_CARE_LEVEL_WORDS = {
    "01": "01", "非該当": "01",
    "12": "12", "要支援1": "12",
    "13": "13", "要支援2": "13",
    "21": "21", "要介護1": "21",
    "22": "22", "要介護2": "22",
    "23": "23", "要介護3": "23",
    "24": "24", "要介護4": "24",
    "25": "25", "要介護5": "25",
}  # fmt: skip

_POSITION = {name: i for i, name in enumerate(RECORD_FIELDS)}
_APPLIED, _KIND, _CLOSURE, _CLOSED_ON = (
    _POSITION[f] for f in ("applied_on", "application_kind", "closure", "closed_on")
)
_REASON, _OFFICE, _LEVEL = (_POSITION[f] for f in ("extension_reason", "office_number", "care_level"))
_NOT_BEFORE_APPLICATION = tuple(_POSITION[f] for f in ("certified_on", "result_sent_on", "closed_on"))
# A file names a few hundred offices at most; checking each once is enough.
_checked_office = lru_cache(maxsize=4096)(check_office_number)

MAX_TEXT = 200
MAX_WARNINGS = 100


@dataclass(frozen=True)
class RowProblem:
    """One problem with one cell (``column`` is the header as written in the file)."""

    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        # Line 0 is a problem of the whole file (empty, undecodable): there is no line to name.
        where = f"{self.line}行目" if self.line else ""
        value = f"({self.value})" if self.value else ""
        return f"{where}「{self.column}」{value}: {self.reason}"


@lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip() if not text.isascii() else text.strip()


# Anything shaped like a 被保険者番号 (ten or more digits, or H and nine or more), in any column:
# a file with shifted or swapped columns must not echo numbers into problem messages, which
# reach the screen, the import command's output and so cron mail and logs.
_NUMBER_LIKE = re.compile(r"[0-9０-９HＨhｈ][0-9０-９]{9,}")


def mask_value(field: str, value: str) -> str:
    from shinchoku.cases.identity import mask_insured  # noqa: PLC0415 - keeps this module Django-free

    if field == "insured_number":
        value = mask_insured(value)
    else:
        value = _NUMBER_LIKE.sub(lambda match: mask_insured(match.group()), value)
    return value if len(value) <= 30 else value[:29] + "…"


class RowParser:
    """Parses rows of one file; ``headers`` are the file's header cells, for error messages."""

    def __init__(self, mapping: dict[str, int], headers: list[str], *, today: date, care_level_enabled: bool) -> None:
        self.mapping = mapping
        self.headers = headers
        self.today = today
        self.care_level_enabled = care_level_enabled
        self.width = max(mapping.values()) + 1
        self.warnings: list[RowProblem] = []
        # Precomputed for the fast path: where each field sits in a record and in a row.
        self._number_index = mapping["insured_number"]
        self._kind_index = mapping["application_kind"]
        self._closure_index = mapping.get("closure")
        self._reason_index = mapping.get("extension_reason")
        self._office_index = mapping.get("office_number")
        self._level_index = mapping.get("care_level")
        self._date_columns = [
            (_POSITION[field], mapping[field], field in PAST_ONLY_FIELDS) for field in DATE_FIELDS if field in mapping
        ]

    def _problem(self, line: int, field: str, raw: str, reason: str) -> RowProblem:
        index = self.mapping[field]
        column = self.headers[index] if index < len(self.headers) else COLUMN_BY_FIELD[field].header
        return RowProblem(line, column, mask_value(field, raw.strip()), reason)

    def parse(self, line: int, cells: list[str]) -> tuple[tuple[object, ...] | None, list[RowProblem]]:
        """A record in RECORD_FIELDS order, or None with every problem found in the row."""
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        record = self._fast(cells)
        if record is not None:
            return record, []
        return self._checked(line, cells)

    def _fast(self, cells: list[str]) -> tuple[object, ...] | None:  # noqa: PLR0911, PLR0912 - flat on purpose: it runs once per row
        """The common case of a clean row, without building any problem; None on any doubt,
        and the row goes through :meth:`_checked`, which finds and words every problem."""
        number = cells[self._number_index]
        # fullmatch: the pattern's "$" also matches before a final "\n", and this cell is not
        # stripped, so a quoted "1234567890\n" would be stored as a second, different number.
        if not (number.isascii() and INSURED_NUMBER_RE.fullmatch(number)):
            return None
        values: list[object] = [None] * len(RECORD_FIELDS)
        values[0] = number
        today = self.today
        try:
            for position, index, past_only in self._date_columns:
                parsed = parse_date(cells[index])
                if past_only and parsed is not None and parsed > today:
                    return None
                values[position] = parsed
        except DateFormatError:
            return None
        kind = _KIND_WORDS.get(cells[self._kind_index].strip())
        if kind is None or values[_APPLIED] is None:
            return None
        values[_KIND] = kind
        closure = ""
        if self._closure_index is not None and (raw := cells[self._closure_index].strip()):
            closure = _CLOSURE_WORDS.get(raw, "")
            if not closure or values[_CLOSED_ON] is None:
                return None
        elif values[_CLOSED_ON] is not None:
            return None
        values[_CLOSURE] = closure
        reason = ""
        if self._reason_index is not None:
            reason = cells[self._reason_index].strip()
            if not reason.isascii():
                reason = _norm(reason)
            if len(reason) > MAX_TEXT:
                return None
        values[_REASON] = reason
        office = ""
        if self._office_index is not None and (raw := cells[self._office_index].strip()):
            try:
                checked = _checked_office(raw)
            except IdentifierError:
                return None
            if checked.warning:
                return None  # the checked path records the warning with its line
            office = checked.value
        values[_OFFICE] = office
        level = ""
        if self._level_index is not None and self.care_level_enabled and (raw := cells[self._level_index].strip()):
            level = _CARE_LEVEL_WORDS.get(_norm(raw), "")
            if not level:
                return None
        values[_LEVEL] = level
        applied = values[_APPLIED]
        for position in _NOT_BEFORE_APPLICATION:
            value = values[position]
            if value is not None and value < applied:  # type: ignore[operator]
                return None
        return tuple(values)

    def _checked(self, line: int, cells: list[str]) -> tuple[tuple[object, ...] | None, list[RowProblem]]:
        row = _Row(self, line, cells)
        row.insured_number()
        row.dates()
        row.application_kind()
        row.closure()
        row.extension_reason()
        row.office_number()
        row.care_level()
        row.date_order()
        if row.problems:
            return None, row.problems
        return tuple(row.values[f] for f in RECORD_FIELDS), []


class _Row:
    """The checks of one row, one method per field, sharing the values found so far."""

    def __init__(self, parser: RowParser, line: int, cells: list[str]) -> None:
        self.parser = parser
        self.line = line
        self.cells = cells
        self.values: dict[str, object] = {}
        self.problems: list[RowProblem] = []

    def cell(self, field: str) -> str | None:
        index = self.parser.mapping.get(field)
        return None if index is None else self.cells[index]

    def problem(self, field: str, raw: str, reason: str) -> None:
        self.problems.append(self.parser._problem(self.line, field, raw, reason))

    def insured_number(self) -> None:
        raw = self.cell("insured_number") or ""
        number = _norm(raw).upper()
        if not INSURED_NUMBER_RE.match(number):
            self.problem("insured_number", raw, "被保険者番号は10桁の数字(生活保護の方は先頭がH)です。")
        self.values["insured_number"] = number

    def dates(self) -> None:
        today = self.parser.today
        for field in DATE_FIELDS:
            raw = self.cell(field)
            parsed = None
            if raw is not None:
                try:
                    parsed = parse_date(raw)
                except DateFormatError as exc:
                    self.problem(field, raw, str(exc))
                else:
                    if parsed is not None and field in PAST_ONLY_FIELDS and parsed > today:
                        self.problem(field, raw, "まだ来ていない日付です。")
            self.values[field] = parsed
        if self.values["applied_on"] is None and not (self.cell("applied_on") or "").strip():
            self.problem("applied_on", "", "申請日が空欄です。")

    def application_kind(self) -> None:
        raw = self.cell("application_kind") or ""
        kind = _KIND_WORDS.get(_norm(raw).upper())
        if kind is None:
            self.problem("application_kind", raw, "申請区分が読めません(1〜6・A・B、または新規・更新・区分変更など)。")
        self.values["application_kind"] = kind

    def closure(self) -> None:
        raw = self.cell("closure") or ""
        closure = ""
        if raw.strip():
            closure = _CLOSURE_WORDS.get(_norm(raw), "")
            if not closure:
                self.problem("closure", raw, "「取下げ」または「却下」と書いてください。")
        self.values["closure"] = closure
        closed_raw = self.cell("closed_on")
        if closure and closed_raw is None:
            self.problem("closure", raw, "取下げ・却下日の列がありません。")
        elif closure and self.values["closed_on"] is None and not closed_raw.strip():  # type: ignore[union-attr]
            self.problem("closed_on", "", "取下げ・却下の日付がありません。")
        elif not closure and not raw.strip() and self.values["closed_on"] is not None:
            self.problem("closed_on", closed_raw or "", "取下げか却下かの区分がありません。")

    def extension_reason(self) -> None:
        reason = _norm(self.cell("extension_reason") or "")
        if len(reason) > MAX_TEXT:
            self.problem("extension_reason", reason, f"{MAX_TEXT}文字以内にしてください。")
        self.values["extension_reason"] = reason

    def office_number(self) -> None:
        raw = self.cell("office_number") or ""
        office = ""
        if raw.strip():
            try:
                checked = check_office_number(raw)
            except IdentifierError as exc:
                self.problem("office_number", raw, str(exc))
            else:
                office = checked.value
                if checked.warning and len(self.parser.warnings) < MAX_WARNINGS:
                    self.parser.warnings.append(self.parser._problem(self.line, "office_number", raw, checked.warning))
        self.values["office_number"] = office

    def care_level(self) -> None:
        raw = self.cell("care_level") or ""
        level = ""
        if self.parser.care_level_enabled and raw.strip():
            level = _CARE_LEVEL_WORDS.get(_norm(raw), "")
            if not level:
                self.problem("care_level", raw, "要介護度が読めません(要支援1〜要介護5、非該当、またはコード)。")
        self.values["care_level"] = level

    def date_order(self) -> None:
        applied = self.values["applied_on"]
        if not isinstance(applied, date):
            return
        for field in ("certified_on", "result_sent_on", "closed_on"):
            value = self.values[field]
            if isinstance(value, date) and value < applied:
                self.problem(field, self.cell(field) or "", "申請日より前の日付です。")
