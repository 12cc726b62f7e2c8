"""The synthetic case generator: determinism, valid identifiers, consistent timelines, import files
every vendor dialect of which the importer's header and date parsers read back, and the DESIGN §4
timing figures."""

from __future__ import annotations

import csv
import inspect
import io
import itertools
import re
import statistics
from collections import Counter
from dataclasses import fields
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shinchoku.cases.codes import ApplicationKind, CareLevel, Closure
from shinchoku.cases.importing.columns import COLUMNS, DATE_FIELDS, resolve_header
from shinchoku.lib.eras import parse_date
from shinchoku.lib.identifiers import check_insured_number, check_office_number
from shinchoku.lib.synthetic import (
    CARE_LEVELS,
    CLOSURE_WORDS,
    DATE_STYLES,
    EXTENSION_REASONS,
    KIND_WORDS,
    LEVEL_WORDS,
    VENDORS,
    SyntheticCase,
    generate_cases,
    office_number_pool,
    vendor_header,
    write_csv,
)

INSURER = "431007"  # 熊本市
AS_OF = date(2025, 2, 6)
# Planned dates, which an export may show ahead of as_of: appointments and the 延期通知's 見込日.
PLANNED = ("survey_scheduled_on", "committee_scheduled_on", "extension_expected_on")


@pytest.fixture(scope="module")
def cases() -> list[SyntheticCase]:
    return list(generate_cases(insurer_number=INSURER, count=20_000, as_of=AS_OF, seed=20250206))


def _csv_bytes(items: list[SyntheticCase], **options: str) -> bytes:
    out = io.BytesIO()
    assert write_csv(items, out, **options) == len(items)
    return out.getvalue()


def _days(start: date | None, end: date | None) -> int:
    assert start is not None and end is not None
    return (end - start).days


def _check_timeline(case: SyntheticCase, as_of: date) -> None:
    """Every invariant one case must satisfy, whatever the parameters."""
    c = case

    def ordered(*values: date | None) -> bool:
        present = [v for v in values if v is not None]
        return present == sorted(present)

    assert ordered(c.applied_on, c.survey_requested_on, c.survey_scheduled_on)
    assert ordered(c.applied_on, c.survey_requested_on, c.survey_done_on)
    assert ordered(c.applied_on, c.opinion_requested_on, c.opinion_received_on)
    assert ordered(c.survey_done_on, c.primary_judged_on, c.committee_held_on, c.certified_on, c.result_sent_on)
    assert ordered(c.opinion_received_on, c.primary_judged_on)
    assert ordered(c.applied_on, c.certified_on)
    # A later milestone implies the earlier ones.
    if c.primary_judged_on:
        assert c.survey_done_on and c.opinion_received_on
    if c.committee_held_on:
        assert c.primary_judged_on and c.committee_scheduled_on == c.committee_held_on
        assert c.certified_on == c.committee_held_on or c.certified_on is None
    if c.certified_on and not c.committee_held_on:
        assert c.application_kind == "5"  # 転入: 受給資格証明書, no committee
    if c.survey_done_on:
        assert c.survey_scheduled_on == c.survey_done_on
    if c.result_sent_on:
        assert c.certified_on
    # Nothing after as_of except planned dates.
    for name in DATE_FIELDS:
        value = getattr(c, name)
        if value is not None and name not in PLANNED:
            assert value <= as_of, (name, c)
    # Closures: a date, no decision, nothing after it (appointments after it were cancelled; a
    # 延期通知 sent before a withdrawal keeps the 見込日 it announced).
    assert bool(c.closure) == (c.closed_on is not None)
    assert c.closure in ("", "withdrawn", "rejected")
    if c.closed_on:
        assert c.certified_on is None and c.care_level == ""
        assert c.applied_on <= c.closed_on <= as_of
        for name in DATE_FIELDS:
            value = getattr(c, name)
            if name != "extension_expected_on":
                assert value is None or value <= c.closed_on, (name, c)
    # 延期通知: all three or none, sent before day 30, expecting a date after it.
    extension = (c.extension_notified_on, c.extension_reason or None, c.extension_expected_on)
    assert all(v is not None for v in extension) or all(v is None for v in extension)
    if c.extension_notified_on and c.extension_expected_on:
        assert c.applied_on < c.extension_notified_on <= c.applied_on + timedelta(days=30)
        assert c.extension_expected_on > c.extension_notified_on
        assert c.extension_expected_on > c.applied_on + timedelta(days=30)
        assert c.extension_reason in EXTENSION_REASONS
        if c.certified_on:
            assert (c.certified_on - c.applied_on).days > 30
    assert bool(c.care_level) == (c.certified_on is not None)
    assert c.care_level in ("", *CARE_LEVELS)
    assert c.applied_on.weekday() != 6


# ---------------------------------------------------------------------------------------------
# Shape
# ---------------------------------------------------------------------------------------------


def test_fields_are_the_import_columns() -> None:
    assert [f.name for f in fields(SyntheticCase)] == [c.field for c in COLUMNS]


def test_codes_agree_with_the_code_tables() -> None:
    assert {code: str(label) for code, label in ApplicationKind.choices} == KIND_WORDS
    assert {code: str(label) for code, label in CareLevel.choices} == LEVEL_WORDS
    assert {code: str(label) for code, label in Closure.choices} == {k: v for k, v in CLOSURE_WORDS.items() if k}


def test_generates_lazily() -> None:
    stream = generate_cases(insurer_number=INSURER, count=100_000_000, as_of=AS_OF, seed=1)
    assert inspect.isgenerator(stream)
    first = list(itertools.islice(stream, 5))
    assert len(first) == 5


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    def file(seed: int) -> bytes:
        return _csv_bytes(list(generate_cases(insurer_number=INSURER, count=2_000, as_of=AS_OF, seed=seed)))

    assert file(7) == file(7)
    assert file(7) != file(8)


def test_count_and_span(cases: list[SyntheticCase]) -> None:
    assert len(cases) == 20_000
    first = AS_OF - timedelta(days=89)
    assert all(first <= c.applied_on <= AS_OF for c in cases)
    assert [c.applied_on for c in cases] == sorted(c.applied_on for c in cases)
    weekdays = Counter(c.applied_on.weekday() for c in cases)
    assert weekdays[6] == 0
    assert weekdays[5] < 0.02 * len(cases)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="insurer_number"):
        generate_cases(insurer_number="43100", count=1, as_of=AS_OF, seed=1)
    with pytest.raises(ValueError, match="count"):
        generate_cases(insurer_number=INSURER, count=-1, as_of=AS_OF, seed=1)
    with pytest.raises(ValueError, match="span"):
        list(generate_cases(insurer_number=INSURER, count=1, as_of=date(2025, 2, 2), seed=1, span_days=1))
    with pytest.raises(ValueError, match="vendor"):
        write_csv([], io.BytesIO(), vendor="vendor_z")
    with pytest.raises(ValueError, match="date_style"):
        write_csv([], io.BytesIO(), date_style="iso")
    with pytest.raises(ValueError, match="encoding"):
        write_csv([], io.BytesIO(), encoding="shift_jis")  # cannot hold 髙 ① ㈱ (DESIGN §3)


# ---------------------------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------------------------


def test_case_keys_are_unique_and_some_people_apply_twice(cases: list[SyntheticCase]) -> None:
    keys = {(c.insured_number, c.applied_on, c.application_kind) for c in cases}
    assert len(keys) == len(cases)
    by_person: dict[str, list[SyntheticCase]] = {}
    for c in cases:
        by_person.setdefault(c.insured_number, []).append(c)
    twice = [found for found in by_person.values() if len(found) > 1]
    assert 0.002 * len(cases) < len(twice) < 0.04 * len(cases)
    for first, second, *rest in twice:
        assert not rest
        assert second.application_kind == "3"  # 区分変更 after a decision
        assert first.certified_on is not None and first.certified_on < second.applied_on
        assert first.office_number == second.office_number


def test_identifiers_are_valid(cases: list[SyntheticCase]) -> None:
    for c in cases:
        assert check_insured_number(c.insured_number) == c.insured_number
        if c.office_number:
            checked = check_office_number(c.office_number)
            assert checked.value == c.office_number and checked.warning is None
            assert c.office_number.startswith("43")  # the insurer's prefecture
    welfare = sum(c.insured_number.startswith("H") for c in cases) / len(cases)
    assert 0.001 < welfare < 0.006
    blank = sum(not c.office_number for c in cases) / len(cases)
    assert 0.07 < blank < 0.13
    assert 80 <= len({c.office_number for c in cases}) <= 121


def test_given_office_numbers_are_used() -> None:
    pool = office_number_pool("14", size=5, seed=3)
    assert len(set(pool)) == 5
    assert all(check_office_number(n).warning is None and n.startswith("147") for n in pool)
    made = generate_cases(insurer_number="141002", count=500, as_of=AS_OF, seed=3, office_numbers=pool)
    assert {c.office_number for c in made} <= {"", *pool}
    assert all(
        not c.office_number
        for c in generate_cases(insurer_number="141002", count=50, as_of=AS_OF, seed=3, office_numbers=[])
    )


# ---------------------------------------------------------------------------------------------
# Timelines
# ---------------------------------------------------------------------------------------------


def test_timelines_are_consistent(cases: list[SyntheticCase]) -> None:
    for c in cases:
        _check_timeline(c, AS_OF)


def test_an_export_shows_work_in_progress(cases: list[SyntheticCase]) -> None:
    future_surveys = [c for c in cases if c.survey_scheduled_on and c.survey_scheduled_on > AS_OF]
    assert future_surveys and all(c.survey_done_on is None for c in future_surveys)
    assert any(c.committee_scheduled_on and c.committee_scheduled_on > AS_OF for c in cases)
    assert any(c.survey_done_on and not c.opinion_received_on for c in cases)
    assert any(c.extension_notified_on and not c.certified_on for c in cases)
    assert any(c.closure == "withdrawn" for c in cases) and any(c.closure == "rejected" for c in cases)
    last = cases[-1].applied_on
    recent = [c for c in cases if c.applied_on == last]
    assert all(c.certified_on is None for c in recent if c.application_kind != "5")


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    as_of=st.dates(date(2019, 1, 1), date(2030, 12, 31)),
    span_days=st.integers(10, 400),
    count=st.integers(0, 300),
)
def test_any_parameters_give_consistent_timelines(seed: int, as_of: date, span_days: int, count: int) -> None:
    made = list(generate_cases(insurer_number=INSURER, count=count, as_of=as_of, seed=seed, span_days=span_days))
    assert len(made) == count
    assert len({(c.insured_number, c.applied_on, c.application_kind) for c in made}) == count
    for c in made:
        assert as_of - timedelta(days=span_days) < c.applied_on <= as_of
        _check_timeline(c, as_of)


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

_KIND_CELLS = {**{code: code for code in KIND_WORDS}, **{word: code for code, word in KIND_WORDS.items()}, "区変": "3"}
_LEVEL_CELLS = {"": "", **{code: code for code in CARE_LEVELS}, **{word: code for code, word in LEVEL_WORDS.items()}}
_CLOSURE_CELLS = {word: code for code, word in CLOSURE_WORDS.items()}


@pytest.mark.parametrize("vendor", VENDORS)
def test_vendor_headers_resolve(vendor: str) -> None:
    header = vendor_header(vendor)
    found = resolve_header(header)
    assert set(found) == {c.field for c in COLUMNS}
    extras = [name for i, name in enumerate(header) if i not in found.values()]
    assert len(extras) == (0 if vendor == "default" else 3)
    assert not any(word in name for name in header for word in ("氏名", "カナ", "住所", "生年月日", "電話", "個人番号"))
    canonical = sum(name == c.header for name in header for c in COLUMNS)
    assert canonical == len(COLUMNS) if vendor == "default" else canonical < len(COLUMNS) // 2


@pytest.mark.parametrize(
    ("vendor", "date_style", "encoding"),
    [
        *itertools.product(VENDORS, DATE_STYLES, ["cp932"]),
        ("default", "wareki", "utf-8-sig"),
        ("vendor_b", "compact", "utf-8-sig"),
    ],
)
def test_every_cell_reads_back(cases: list[SyntheticCase], vendor: str, date_style: str, encoding: str) -> None:
    sample = cases[::40]
    data = _csv_bytes(sample, vendor=vendor, encoding=encoding, date_style=date_style)
    assert data.count(b"\r\n") == data.count(b"\n") == len(sample) + 1  # CRLF only
    assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    text = data.decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    columns = resolve_header(rows[0])
    assert len(rows) == len(sample) + 1
    long_form = 0
    for row, case in zip(rows[1:], sample, strict=True):
        for name in DATE_FIELDS:
            cell = row[columns[name]]
            long_form += cell.startswith("令和")
            assert parse_date(cell) == getattr(case, name), (name, cell)
        assert row[columns["insured_number"]] == case.insured_number
        assert _KIND_CELLS[row[columns["application_kind"]]] == case.application_kind
        assert _CLOSURE_CELLS[row[columns["closure"]]] == case.closure
        assert _LEVEL_CELLS[row[columns["care_level"]]] == case.care_level
        assert row[columns["office_number"]] == case.office_number
        assert row[columns["extension_reason"]] == case.extension_reason
    assert (long_form > 0) == (vendor == "vendor_b" and date_style == "wareki")
    applied = rows[1][columns["applied_on"]]
    assert re.fullmatch(
        {"wareki": r"R0[67]\.\d\d\.\d\d", "seireki": r"20\d\d/\d\d/\d\d", "compact": r"20\d{6}"}[date_style], applied
    )


def test_write_csv_streams_a_generator() -> None:
    out = io.BytesIO()
    rows = write_csv(generate_cases(insurer_number=INSURER, count=300, as_of=AS_OF, seed=5), out, vendor="vendor_a")
    assert rows == 300
    assert out.getvalue().decode("cp932").count("\r\n") == 301
    assert not out.closed  # the caller's stream stays usable


# ---------------------------------------------------------------------------------------------
# Realism (DESIGN §4)
# ---------------------------------------------------------------------------------------------


def test_aggregate_realism() -> None:
    as_of = date(2025, 6, 30)
    made = list(generate_cases(insurer_number=INSURER, count=20_000, as_of=as_of, seed=11, span_days=1000))
    # Applications old enough to have run their whole course, so no censoring by as_of.
    complete = [c for c in made if c.applied_on <= as_of - timedelta(days=210)]
    assert len(complete) > 15_000
    decided = [c for c in complete if c.certified_on]
    days = [_days(c.applied_on, c.certified_on) for c in decided]
    assert 36 <= statistics.mean(days) <= 44
    assert 0.18 <= sum(d <= 30 for d in days) / len(days) <= 0.32
    assert len(decided) + sum(bool(c.closure) for c in complete) == len(complete)

    closures = Counter(c.closure for c in complete)
    assert 0.01 <= closures["withdrawn"] / len(complete) <= 0.03
    assert 0.0005 <= closures["rejected"] / len(complete) <= 0.006

    full = [c for c in decided if c.committee_held_on]
    survey = statistics.mean(_days(c.survey_requested_on, c.survey_done_on) for c in full)
    opinion = statistics.mean(_days(c.opinion_requested_on, c.opinion_received_on) for c in full)
    committee = statistics.mean(
        min(_days(c.survey_done_on, c.committee_held_on), _days(c.opinion_received_on, c.committee_held_on))
        for c in full
    )
    assert abs(survey - 10.9) < 1 and abs(opinion - 18.0) < 1 and abs(committee - 16.9) < 1

    late = [c for c in decided if _days(c.applied_on, c.certified_on) > 30]
    assert 0.9 < sum(c.extension_notified_on is not None for c in late) / len(late) < 1

    kinds = Counter(c.application_kind for c in made)
    for code, share in (("2", 0.50), ("1", 0.30), ("3", 0.12)):
        assert abs(kinds[code] / len(made) - share) < 0.02
    levels = Counter(c.care_level for c in decided)
    for code, share in zip(CARE_LEVELS, (0.03, 0.14, 0.14, 0.20, 0.17, 0.13, 0.12, 0.07), strict=True):
        assert abs(levels[code] / len(decided) - share) < 0.015
