"""The row parser's fast path is an optimisation only: whatever it accepts, the checked path
accepts identically, and whatever it doubts goes to the checked path, which words every problem."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from shinchoku.cases.importing.columns import resolve_header
from shinchoku.cases.importing.rows import RowParser
from shinchoku.lib.synthetic import generate_cases, write_csv

TODAY = date(2026, 11, 20)


def _rows(vendor: str, date_style: str) -> tuple[list[str], list[list[str]]]:
    out = io.BytesIO()
    cases = generate_cases(insurer_number="431007", count=60, as_of=TODAY, seed=7)
    write_csv(cases, out, vendor=vendor, encoding="utf-8", date_style=date_style)
    table = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8"))))
    return table[0], table[1:]


MUTATIONS = st.sampled_from(
    [
        "",
        " ",
        "Ｒ０７．０２．０６",
        "h012345678",
        "区変",
        "取下げ",
        "9",
        "R01.04.30",
        "2099/01/01",
        "4370100011",
        "要介護６",
        "（事前）",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    vendor=st.sampled_from(["default", "vendor_a", "vendor_b"]),
    date_style=st.sampled_from(["wareki", "seireki", "compact"]),
    row_index=st.integers(min_value=0, max_value=59),
    edits=st.lists(st.tuples(st.integers(min_value=0, max_value=30), MUTATIONS), max_size=3),
    care_level_enabled=st.booleans(),
)
def test_the_fast_path_never_disagrees_with_the_checked_path(
    *, vendor: str, date_style: str, row_index: int, edits: list[tuple[int, str]], care_level_enabled: bool
) -> None:
    header, rows = _rows(vendor, date_style)
    parser = RowParser(resolve_header(header), header, today=TODAY, care_level_enabled=care_level_enabled)
    cells = list(rows[row_index])
    for column, value in edits:
        cells[column % len(cells)] = value
    fast = parser._fast(cells)
    checked, problems = parser._checked(2, cells)
    if fast is not None:
        assert checked == fast
        assert problems == []
    assert parser.parse(2, cells) == (checked, problems)


def test_clean_synthetic_rows_all_take_the_fast_path() -> None:
    header, rows = _rows("vendor_a", "wareki")
    parser = RowParser(resolve_header(header), header, today=TODAY, care_level_enabled=True)
    assert all(parser._fast(row) is not None for row in rows if row)
