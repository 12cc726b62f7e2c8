"""Whatever bytes arrive, the importer returns an outcome and never raises; it imports the whole
file or nothing; what it stores is a normalised number; its messages echo no number of the file;
and another insurer's cases are never touched.

Three sources of input: random bytes, random CSV-like text in CP932 or UTF-8, and mutations of a
valid synthetic export (cells deleted, duplicated, swapped, replaced, widened to full-width, or
given quotes, commas and line breaks; rows dropped or repeated; then the bytes truncated,
flipped or spliced). Each example runs in a savepoint that is rolled back, so all start alike.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shinchoku.cases.identity import decrypt_insured, insured_index
from shinchoku.cases.models import Case, ImportRun
from shinchoku.cases.tests.files import FULL_WIDTH, Tenants, export, make_tenants, run_import, synthetic
from shinchoku.insurers.models import Insurer
from shinchoku.lib.csvdecode import UTF8_BOM

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no example database left in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

BASE_CASES = synthetic(12, seed=424242)
NUMBERS = [case.insured_number for case in BASE_CASES]
BASE_FILE = export(BASE_CASES, vendor="vendor_b", encoding="utf-8", date_style="wareki")
BASE_TABLE = list(csv.reader(io.StringIO(BASE_FILE.decode("utf-8"), newline="")))
STORED_NUMBER = re.compile(r"[0-9H][0-9]{9}")

# Characters that break CSVs and dates, and ones plain Shift_JIS lacks but CP932 has.
TRICKY = [
    '"',
    ",",
    "\n",
    "\r",
    "\r\n",
    " ",
    "　",
    "０",
    "９",
    "Ｈ",
    "／",
    "．",
    "髙",
    "①",
    "㈱",
    "令和",
    "元",
    "H",
    "-",
]
CHARS = [c for c in TRICKY if len(c) == 1]
WIDEN = str.maketrans(
    "0123456789/.-ABHRSabhrs", "０１２３４５６７８９／．－ＡＢＨＲＳａｂｈｒｓ"
)  # NFKC maps these back


@pytest.fixture
def tenants(db: None) -> Tenants:
    tenants = make_tenants()
    assert run_import(tenants.insurer_b, BASE_FILE).ok  # B's cases must survive every example
    return tenants


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def snapshot(insurer: Insurer) -> set[tuple[object, ...]]:
    return set(Case.objects.filter(insurer=insurer).values_list("pk", "insured_index", "content_digest", "updated_at"))


def data_rows(data: bytes) -> int:
    """Rows of an accepted file, counted independently of the importer (decoded as it decodes)."""
    if data.startswith(UTF8_BOM):
        text = data[len(UTF8_BOM) :].decode("utf-8")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp932")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return sum(1 for row in rows[1:] if any(cell.strip() for cell in row))


def check_import(tenants: Tenants, data: bytes) -> None:
    insurer = tenants.insurer_a
    b_before = snapshot(tenants.insurer_b)

    outcome = run_import(insurer, data)  # must not raise, whatever the bytes

    event("accepted" if outcome.ok else "rejected")  # see --hypothesis-show-statistics
    run = ImportRun.objects.get(pk=outcome.run.pk)
    cases = list(Case.objects.filter(insurer=insurer))
    if outcome.ok:
        assert run.status == ImportRun.Status.SUCCEEDED
        assert run.rows == run.created == len(cases) == data_rows(data)
        for case in cases:
            number = decrypt_insured(insurer.number, case.insured_number_enc)
            assert STORED_NUMBER.fullmatch(number), number
            assert case.insured_index == insured_index(insurer.number, number)
    else:
        assert run.status == ImportRun.Status.REJECTED
        assert run.error_count == outcome.problem_count >= len(outcome.problems) >= 1
        assert cases == []
        assert all(problem.reason and problem.line >= 0 for problem in outcome.problems)
    assert snapshot(tenants.insurer_b) == b_before
    said = "\n".join(str(problem) for problem in [*outcome.problems, *outcome.warnings])
    for number in NUMBERS:
        assert number not in said
        assert number.translate(FULL_WIDTH) not in said


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

cell_text = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet=st.sampled_from([*CHARS, *"0123456789RHS年月日/."]), max_size=12),
    st.text(max_size=8),
)


@st.composite
def mutated_tables(draw: st.DrawFn) -> list[list[str]]:  # noqa: PLR0912 - a branch per mutation reads best
    rows = [list(row) for row in BASE_TABLE]
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(rows) - 1)) if rows else 0
        if not rows or not rows[i]:
            continue
        row = rows[i]
        j = draw(st.integers(0, len(row) - 1))
        op = draw(
            st.sampled_from(
                [
                    "delete cell",
                    "duplicate cell",
                    "swap cells",
                    "swap with another row",
                    "replace cell",
                    "insert into cell",
                    "blank cell",
                    "full-width cell",
                    "delete row",
                    "duplicate row",
                ]
            )
        )
        if op == "delete cell":
            del row[j]
        elif op == "duplicate cell":
            row.insert(j, row[j])
        elif op == "swap cells":
            k = draw(st.integers(0, len(row) - 1))
            row[j], row[k] = row[k], row[j]
        elif op == "swap with another row":
            other = rows[draw(st.integers(0, len(rows) - 1))]
            if j < len(other):
                row[j], other[j] = other[j], row[j]
        elif op == "replace cell":
            row[j] = draw(cell_text)
        elif op == "insert into cell":
            at = draw(st.integers(0, len(row[j])))
            row[j] = row[j][:at] + draw(st.sampled_from(TRICKY)) + row[j][at:]
        elif op == "blank cell":
            row[j] = ""
        elif op == "full-width cell":
            row[j] = row[j].translate(WIDEN)
        elif op == "delete row":
            del rows[i]
        else:
            rows.insert(i, list(row))
    return rows


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    rows = draw(mutated_tables())
    out = io.StringIO(newline="")
    terminator = draw(st.sampled_from(["\r\n", "\n"]))
    if draw(st.booleans()):
        csv.writer(out, lineterminator=terminator, quoting=csv.QUOTE_ALL).writerows(rows)
    else:
        csv.writer(out, lineterminator=terminator).writerows(rows)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["cp932", "utf-8", "utf-8-sig"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    for _ in range(draw(st.integers(0, 2))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["truncate", "flip", "splice"]))
        if op == "truncate":
            data = data[:at]
        elif op == "flip":
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        else:
            data = data[:at] + draw(st.sampled_from([b'"', b",", b"\n", b"\r", b"\x00", b"\x85", b"\xff"])) + data[at:]
    return data


csv_like_text = st.builds(
    lambda header, lines: "\r\n".join([header, *lines]),
    st.sampled_from([",".join(BASE_TABLE[0]), "被保険者番号,申請日,申請区分", ""]),
    st.lists(st.text(alphabet=st.sampled_from([*CHARS, *"0123456789RH,/."]), max_size=60), max_size=6),
)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


def test_the_unmutated_file_imports(tenants: Tenants) -> None:
    # The base of the mutations is valid, so the mutations test both outcomes.
    with rolled_back():
        assert run_import(tenants.insurer_a, BASE_FILE).run.created == len(BASE_CASES)


@FUZZ
@given(data=mutated_files())
def test_a_mutated_export_is_imported_whole_or_not_at_all(tenants: Tenants, data: bytes) -> None:
    with rolled_back():
        check_import(tenants, data)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_never_raise(tenants: Tenants, data: bytes) -> None:
    with rolled_back():
        check_import(tenants, data)


@FUZZ
@given(text=csv_like_text, encoding=st.sampled_from(["cp932", "utf-8", "utf-8-sig"]))
def test_random_text_never_raises(tenants: Tenants, text: str, encoding: str) -> None:
    with rolled_back():
        check_import(tenants, text.encode(encoding, errors="replace"))
