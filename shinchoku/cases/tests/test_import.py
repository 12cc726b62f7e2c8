"""The importer end to end (DESIGN §3 "Import files", T5, T6): every vendor dialect, date style
and encoding imports and reads back field by field; the same file twice changes nothing; a
changed file updates exactly what changed; numbers are stored only encrypted; every kind of bad
file is refused whole, with line, column as written, masked value and a Japanese reason; and
one insurer's import never touches another's cases."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from django.conf import settings

from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.identity import decrypt_insured, insured_index
from shinchoku.cases.importing.rows import RowProblem
from shinchoku.cases.importing.service import MAX_REPORTED_PROBLEMS, ImportOutcome
from shinchoku.cases.models import Case, ColumnMapping, ImportRun
from shinchoku.cases.tests.files import (
    AS_OF,
    HEADER,
    Tenants,
    export,
    is_open,
    key,
    make_tenants,
    modified,
    row,
    run_import,
    stored,
    synthetic,
    table,
)
from shinchoku.insurers.models import Insurer
from shinchoku.lib.crypto import DecryptionError
from shinchoku.lib.synthetic import DATE_STYLES, ENCODINGS, VENDORS, SyntheticCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenants(db: None) -> Tenants:
    return make_tenants()


WHOLE_FILE = "ファイル全体"
# Everything a case carries besides its key (number, 申請日, 申請区分) and the opt-in 要介護度.
COMPARED = tuple(
    f.name
    for f in dataclasses.fields(SyntheticCase)
    if f.name not in ("insured_number", "applied_on", "application_kind", "care_level")
)
# Each vendor with each date style; the three encodings spread so each pairs with every vendor.
DIALECTS = [
    (vendor, style, ENCODINGS[(i + j) % len(ENCODINGS)])
    for i, vendor in enumerate(VENDORS)
    for j, style in enumerate(DATE_STYLES)
]


def closed_count(cases: list[SyntheticCase]) -> int:
    return sum(1 for c in cases if not is_open(c))


def assert_matches(insurer: Insurer, cases: list[SyntheticCase], *, care_level: bool = False) -> None:
    """Every case of the file is stored with every field as generated, and nothing else is."""
    by_key = stored(insurer)
    assert set(by_key) == {key(c) for c in cases}
    for case in cases:
        saved = by_key[key(case)]
        for name in COMPARED:
            assert getattr(saved, name) == getattr(case, name), (name, case)
        assert saved.care_level == (case.care_level if care_level else "")


def assert_rejected(outcome: ImportOutcome, *expected: RowProblem) -> None:
    """Nothing imported; the run kept as rejected with its error count; the audit event written."""
    run = outcome.run
    assert not outcome.ok
    assert run.pk is not None
    saved = ImportRun.objects.get(pk=run.pk)
    assert saved.status == ImportRun.Status.REJECTED
    assert saved.error_count == outcome.problem_count >= len(outcome.problems) >= 1
    assert (saved.rows, saved.created, saved.updated, saved.unchanged, saved.closed) == (0, 0, 0, 0, 0)
    assert not Case.objects.filter(insurer=run.insurer).exists()
    event = AuditEvent.objects.get(target_type="cases.importrun", target_id=str(run.pk))
    assert event.event_type == EventType.CASES_IMPORT_REJECTED
    assert event.outcome == Outcome.FAILURE
    assert event.details["errors"] == outcome.problem_count
    for problem in expected:
        assert problem in outcome.problems, outcome.problems


# ---------------------------------------------------------------------------------------------
# Happy paths
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("vendor", "date_style", "encoding"), DIALECTS)
def test_it_imports_every_vendor_dialect_date_style_and_encoding(
    tenants: Tenants, vendor: str, date_style: str, encoding: str
) -> None:
    cases = synthetic(300, seed=len(vendor) * 10 + len(date_style))
    outcome = run_import(tenants.insurer_a, export(cases, vendor=vendor, encoding=encoding, date_style=date_style))

    assert outcome.ok, outcome.problems[:5]
    run = ImportRun.objects.get(pk=outcome.run.pk)
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.encoding == encoding
    assert (run.rows, run.created, run.updated, run.unchanged) == (300, 300, 0, 0)
    assert run.closed == closed_count(cases)
    assert_matches(tenants.insurer_a, cases)
    assert Case.objects.filter(insurer=tenants.insurer_a, last_import=run).count() == 300
    event = AuditEvent.objects.get(target_type="cases.importrun", target_id=str(run.pk))
    assert event.event_type == EventType.CASES_IMPORT_COMPLETED
    assert event.details["created"] == 300


def test_the_same_file_twice_changes_nothing(tenants: Tenants) -> None:
    data = export(synthetic(300), vendor="vendor_b")
    first = run_import(tenants.insurer_a, data)
    before = {c.pk: (c.updated_at, c.last_import_id, c.content_digest) for c in Case.objects.all()}

    second = run_import(tenants.insurer_a, data)

    assert second.ok
    run = second.run
    assert (run.rows, run.created, run.updated, run.unchanged, run.closed) == (300, 0, 0, 300, 0)
    after = {c.pk: (c.updated_at, c.last_import_id, c.content_digest) for c in Case.objects.all()}
    assert after == before
    assert all(last == first.run.pk for _, last, _ in after.values())


def test_a_changed_file_updates_exactly_the_changed_rows(tenants: Tenants) -> None:
    cases = synthetic(300)
    run_import(tenants.insurer_a, export(cases))
    before = {c.pk: c.updated_at for c in Case.objects.all()}
    # One milestone added to three open cases; the third one's is the 認定, which closes it.
    chosen = [i for i, c in enumerate(cases) if is_open(c) and c.survey_done_on is None][:3]
    assert len(chosen) == 3
    changed = list(cases)
    changed[chosen[0]] = modified(cases[chosen[0]], survey_done_on=AS_OF)
    changed[chosen[1]] = modified(cases[chosen[1]], survey_done_on=AS_OF - timedelta(days=1))
    changed[chosen[2]] = modified(cases[chosen[2]], certified_on=AS_OF)

    outcome = run_import(tenants.insurer_a, export(changed))

    assert outcome.ok
    run = outcome.run
    assert (run.rows, run.created, run.updated, run.unchanged, run.closed) == (300, 0, 3, 297, 1)
    touched = {c.pk for c in Case.objects.filter(last_import=run)}
    by_key = stored(tenants.insurer_a)
    assert touched == {by_key[key(changed[i])].pk for i in chosen}
    for case in Case.objects.all():
        assert (case.updated_at != before[case.pk]) == (case.pk in touched)
    assert by_key[key(changed[chosen[2]])].is_closed
    assert_matches(tenants.insurer_a, changed)


def test_it_stores_the_number_only_encrypted_with_a_per_insurer_blind_index(tenants: Tenants) -> None:
    cases = synthetic(200)
    numbers = {c.insured_number for c in cases}
    run_import(tenants.insurer_a, export(cases))
    run_import(tenants.insurer_b, export(cases))
    kid = settings.DATA_KEYRING.active_kid

    for case in Case.objects.filter(insurer=tenants.insurer_a):
        token = case.insured_number_enc
        assert token.startswith(f"{kid}$")
        number = decrypt_insured("431007", token)
        assert number in numbers
        assert number not in token
        assert case.insured_index == insured_index("431007", number)
        with pytest.raises(DecryptionError):
            decrypt_insured("141002", token)  # the insurer number is bound in as AAD
    indexes_a = set(Case.objects.filter(insurer=tenants.insurer_a).values_list("insured_index", flat=True))
    indexes_b = set(Case.objects.filter(insurer=tenants.insurer_b).values_list("insured_index", flat=True))
    assert indexes_a.isdisjoint(indexes_b)
    for number in numbers:
        assert insured_index("431007", number) != insured_index("141002", number)


def test_full_width_numbers_are_normalised(tenants: Tenants) -> None:
    rows = [row("１２３４５６７８９０"), row("Ｈ１２３４５６７８９", applied="Ｒ０７．０１．１１", kind="２")]
    outcome = run_import(tenants.insurer_a, table(HEADER, rows, encoding="cp932"))

    assert outcome.ok, outcome.problems
    assert set(stored(tenants.insurer_a)) == {
        ("1234567890", date(2025, 1, 10), "1"),
        ("H123456789", date(2025, 1, 11), "2"),
    }
    assert Case.objects.filter(insured_index=insured_index("431007", "1234567890")).count() == 1
    # The same cases written half-width are the same cases.
    again = run_import(tenants.insurer_a, table(HEADER, [row("1234567890"), row("H123456789", "R07.01.11", "2")]))
    assert (again.run.created, again.run.unchanged) == (0, 2)


def test_a_stray_line_break_in_a_quoted_number_cell_is_the_same_number(tenants: Tenants) -> None:
    # Regression: the fast row path matched with "$", which accepts a final "\n", and stored
    # "1234567890\n" as a second person beside "1234567890".
    outcome = run_import(tenants.insurer_a, table(HEADER, [row("1234567890\n"), row(" 2234567890\r\n")]))

    assert outcome.ok, outcome.problems
    assert {number for number, _, _ in stored(tenants.insurer_a)} == {"1234567890", "2234567890"}
    again = run_import(tenants.insurer_a, table(HEADER, [row("1234567890"), row("2234567890")]))
    assert (again.run.created, again.run.unchanged) == (0, 2)


def test_kind_words_map_to_their_codes(tenants: Tenants) -> None:
    words = ["区変", "変更", "区分変更", "３", "区分変更申請", " 新規 ", "更新（事前）", "職権"]
    rows = [row(f"00000000{i:02d}", applied=f"R07.01.{i + 1:02d}", kind=word) for i, word in enumerate(words)]
    outcome = run_import(tenants.insurer_a, table(HEADER, rows))

    assert outcome.ok, outcome.problems
    kinds = {number: kind for number, _, kind in stored(tenants.insurer_a)}
    assert [kinds[f"00000000{i:02d}"] for i in range(len(words))] == ["3", "3", "3", "3", "3", "1", "B", "4"]


@pytest.mark.parametrize("vendor", ["default", "vendor_a"])
def test_care_level_is_kept_only_when_the_insurer_opted_in(tenants: Tenants, vendor: str) -> None:
    cases = synthetic(200)
    assert any(c.care_level for c in cases)
    Insurer.objects.filter(pk=tenants.insurer_b.pk).update(care_level_enabled=True)
    insurer_b = Insurer.objects.get(pk=tenants.insurer_b.pk)

    assert run_import(tenants.insurer_a, export(cases, vendor=vendor)).ok
    assert run_import(insurer_b, export(cases, vendor=vendor)).ok

    assert not Case.objects.filter(insurer=tenants.insurer_a).exclude(care_level="").exists()
    assert_matches(insurer_b, cases, care_level=True)


def test_an_unreadable_care_level_is_ignored_when_off_and_refused_when_on(tenants: Tenants) -> None:
    data = table([*HEADER, "要介護度"], [[*row(), "要介護9"]])
    assert run_import(tenants.insurer_a, data).ok
    Insurer.objects.filter(pk=tenants.insurer_b.pk).update(care_level_enabled=True)

    outcome = run_import(Insurer.objects.get(pk=tenants.insurer_b.pk), data)

    reason = "要介護度が読めません(要支援1〜要介護5、非該当、またはコード)。"
    assert_rejected(outcome, RowProblem(2, "要介護度", "要介護9", reason))


def test_an_insurers_own_column_names_work_for_that_insurer_only(tenants: Tenants) -> None:
    ColumnMapping.objects.create(insurer=tenants.insurer_a, field="insured_number", header="被保険者 コード")
    ColumnMapping.objects.create(insurer=tenants.insurer_a, field="applied_on", header="申込日")
    header = ["被保険者コード", "申込日", *HEADER[2:]]
    data = table(header, [row(), row("2234567890")])

    assert run_import(tenants.insurer_a, data).ok
    assert len(stored(tenants.insurer_a)) == 2
    outcome = run_import(tenants.insurer_b, data)
    assert_rejected(outcome)
    assert [p.reason for p in outcome.problems] == [
        "必須の列「被保険者番号」が見つかりません(別名: 被保番号、被保険者NO、被保険者No.、被保険者ＮＯ)。",
        "必須の列「申請日」が見つかりません(別名: 申請年月日、受付日、申請受付日)。",
    ]


def test_unknown_columns_are_ignored_and_never_stored(tenants: Tenants) -> None:
    header = ["氏名", *HEADER, "住所", "電話番号"]
    data = table(header, [["熊本 太郎", *row(), "熊本市中央区手取本町1-1", "096-328-2111"]])

    outcome = run_import(tenants.insurer_a, data)

    assert outcome.ok, outcome.problems
    case = Case.objects.get()
    values = " ".join(str(getattr(case, f.attname)) for f in Case._meta.concrete_fields)
    for personal in ("熊本 太郎", "手取本町", "096-328-2111"):
        assert personal not in values


def test_blank_lines_are_ignored(tenants: Tenants) -> None:
    lines = [",".join(HEADER), "", ",".join(row()), "", ",,,,,,", " , ,", ",".join(row("2234567890")), "", ""]
    outcome = run_import(tenants.insurer_a, "\r\n".join(lines).encode())

    assert outcome.ok, outcome.problems
    assert (outcome.run.rows, outcome.run.created) == (2, 2)


def test_a_header_only_file_imports_nothing_successfully(tenants: Tenants) -> None:
    # An export of an empty period is not an error; the import never deletes, so nothing is lost.
    outcome = run_import(tenants.insurer_a, table(HEADER, []))

    assert outcome.ok
    run = ImportRun.objects.get(pk=outcome.run.pk)
    assert (run.status, run.rows, run.created) == (ImportRun.Status.SUCCEEDED, 0, 0)
    assert AuditEvent.objects.filter(event_type=EventType.CASES_IMPORT_COMPLETED, target_id=str(run.pk)).exists()


def test_a_dry_run_validates_and_counts_but_imports_nothing(tenants: Tenants) -> None:
    cases = synthetic(150)
    data = export(cases, vendor="vendor_a")

    outcome = run_import(tenants.insurer_a, data, dry_run=True)

    assert outcome.ok
    run = ImportRun.objects.get(pk=outcome.run.pk)
    assert run.status == ImportRun.Status.DRY_RUN
    assert (run.rows, run.created, run.updated, run.unchanged, run.closed) == (150, 150, 0, 0, closed_count(cases))
    assert not Case.objects.exists()
    event = AuditEvent.objects.get(target_type="cases.importrun", target_id=str(run.pk))
    assert (event.event_type, event.outcome) == (EventType.CASES_IMPORT_CHECKED, Outcome.SUCCESS)
    # After the real import, a dry run of the same file foresees no change.
    assert run_import(tenants.insurer_a, data).ok
    again = run_import(tenants.insurer_a, data, dry_run=True).run
    assert (again.status, again.created, again.unchanged) == (ImportRun.Status.DRY_RUN, 0, 150)


def test_a_dry_run_of_a_bad_file_is_recorded_as_rejected(tenants: Tenants) -> None:
    outcome = run_import(tenants.insurer_a, table(HEADER, [row("123")]), dry_run=True)
    assert_rejected(outcome)


# ---------------------------------------------------------------------------------------------
# Rejections: the whole file is refused, and every problem says where and why
# ---------------------------------------------------------------------------------------------

NUMBER_REASON = "被保険者番号は10桁の数字(生活保護の方は先頭がH)です。"
ROW_PROBLEMS = {
    "bad number": (row(number="12345X7890"), RowProblem(3, "被保険者番号", "1●●●●●●●●0", NUMBER_REASON)),
    "short number": (row(number="12345"), RowProblem(3, "被保険者番号", "1●●●5", NUMBER_REASON)),
    "full-width bad number": (row(number="１２３４５"), RowProblem(3, "被保険者番号", "１●●●５", NUMBER_REASON)),
    "30 February": (
        row(survey_done="令和7年2月30日"),
        RowProblem(3, "認定調査実施日", "令和7年2月30日", "令和7年2月30日は存在しません。"),
    ),
    "平成 after its end": (
        row(applied="H31.05.01"),
        RowProblem(3, "申請日", "H31.05.01", "平成31年4月30日より後の平成の日付はありません(翌日からは令和です)。"),
    ),
    "令和 before its start": (
        row(applied="R01.04.30"),
        RowProblem(3, "申請日", "R01.04.30", "令和元年5月1日より前の令和の日付はありません。"),
    ),
    "unreadable date": (
        row(applied="25/01/10"),
        RowProblem(
            3, "申請日", "25/01/10", "西暦の年は4桁で書いてください(和暦なら R07.02.06 のように元号を付けてください)。"
        ),
    ),
    "blank application date": (row(applied=""), RowProblem(3, "申請日", "", "申請日が空欄です。")),
    "done in the future": (
        row(survey_done="2025/02/07"),
        RowProblem(3, "認定調査実施日", "2025/02/07", "まだ来ていない日付です。"),
    ),
    "bad kind": (
        row(kind="再申請"),
        RowProblem(3, "申請区分", "再申請", "申請区分が読めません(1〜6・A・B、または新規・更新・区分変更など)。"),
    ),
    "bad closure": (
        row(closure="中止", closed="R07.01.20"),
        RowProblem(3, "取下げ・却下", "中止", "「取下げ」または「却下」と書いてください。"),
    ),
    "closure without date": (
        row(closure="取下げ"),
        RowProblem(3, "取下げ・却下日", "", "取下げ・却下の日付がありません。"),
    ),
    "closure date without closure": (
        row(closed="R07.01.20"),
        RowProblem(3, "取下げ・却下日", "R07.01.20", "取下げか却下かの区分がありません。"),
    ),
    "decided before the application": (
        row(certified="R07.01.09"),
        RowProblem(3, "認定日", "R07.01.09", "申請日より前の日付です。"),
    ),
    "closed before the application": (
        row(closure="却下", closed="2025-01-09"),
        RowProblem(3, "取下げ・却下日", "2025-01-09", "申請日より前の日付です。"),
    ),
}


@pytest.mark.parametrize("kind", list(ROW_PROBLEMS))
def test_a_bad_cell_refuses_the_whole_file(tenants: Tenants, kind: str) -> None:
    bad, expected = ROW_PROBLEMS[kind]
    rows = [row("1000000001"), bad, row("1000000003")]

    outcome = run_import(tenants.insurer_a, table(HEADER, rows, encoding="cp932"))

    assert_rejected(outcome, expected)
    assert outcome.problems == [expected]


def test_problems_name_the_column_as_the_file_writes_it(tenants: Tenants) -> None:
    cases = synthetic(20)
    cases[4] = modified(cases[4], insured_number="98765")
    outcome = run_import(tenants.insurer_a, export(cases, vendor="vendor_a"))
    assert_rejected(outcome, RowProblem(6, "被保番号", "9●●●5", NUMBER_REASON))

    header = ["被保険者番号", "申請 年月日", "申請区分"]
    outcome = run_import(tenants.insurer_a, table(header, [["1234567890", "R7.13.1", "1"]]))
    assert outcome.problems[0].column == "申請 年月日"


def test_a_number_in_the_wrong_column_is_masked_in_problems_and_warnings(tenants: Tenants) -> None:
    # Regression: only the 被保険者番号 column was masked, so a file with shifted columns echoed
    # numbers into messages that the import command prints (cron mail, logs) and the screen shows.
    rows = [
        row("R07.01.10", applied="1234567890"),
        row(kind="2234567890"),
        row(survey_done="ｈ３２３４５６７８９"),
        row(closure="note 42345678901 x", closed="R07.01.11"),
    ]
    outcome = run_import(tenants.insurer_a, table(HEADER, rows))
    assert_rejected(outcome)
    assert [p.value for p in outcome.problems] == [
        "R●●●●●●●0",
        "1●●●●●●●●0",
        "2●●●●●●●●0",
        "ｈ●●●●●●●●９",
        "note 4●●●●●●●●●1 x",
    ]

    with_office = table([*HEADER, "居宅介護支援事業所番号"], [[*row(), "1234567890"]])
    warnings = run_import(tenants.insurer_a, with_office).warnings
    assert [(w.value, w.reason) for w in warnings] == [
        ("1●●●●●●●●0", "介護保険事業所番号の検査数字が一致しません。番号をご確認ください。")
    ]


def test_a_closure_without_its_date_column_is_refused(tenants: Tenants) -> None:
    outcome = run_import(tenants.insurer_a, table(HEADER[:6], [row()[:6], row("2234567890", closure="取下げ")[:6]]))
    assert_rejected(outcome, RowProblem(3, "取下げ・却下", "取下げ", "取下げ・却下日の列がありません。"))


def test_every_problem_of_a_row_is_reported(tenants: Tenants) -> None:
    bad = row(number="x", applied="R07.02.30", kind="?", certified="2025/13/01")
    outcome = run_import(tenants.insurer_a, table(HEADER, [bad]))
    assert_rejected(outcome)
    assert {(p.line, p.column) for p in outcome.problems} == {
        (2, "被保険者番号"),
        (2, "申請日"),
        (2, "申請区分"),
        (2, "認定日"),
    }


def test_the_same_application_twice_in_a_file_names_both_lines(tenants: Tenants) -> None:
    rows = [row(), row("2234567890"), row("１２３４５６７８９０")]  # full-width: the same number
    outcome = run_import(tenants.insurer_a, table(HEADER, rows))
    reason = "4行目は2行目と同じ申請(被保険者番号・申請日・申請区分が同じ)です。"
    assert_rejected(outcome, RowProblem(4, WHOLE_FILE, "", reason))
    # The same number and date with another kind is another application.
    assert run_import(tenants.insurer_a, table(HEADER, [row(), row(kind="3")])).ok


FILE_PROBLEMS = {
    "missing required column": (
        table(["被保険者番号", "申請日", "認定日"], [["1234567890", "R07.01.10", ""]]),
        RowProblem(1, WHOLE_FILE, "", "必須の列「申請区分」が見つかりません(別名: 申請種別、申請の種類)。"),
    ),
    "two columns for one field": (
        table([*HEADER, "被保番号"], [[*row(), "1234567890"]]),
        RowProblem(1, WHOLE_FILE, "", "「被保険者番号」にあたる列が2つあります(1列目と8列目)。"),
    ),
    "unclosed quote": (
        (",".join(HEADER) + "\r\n" + ",".join(row()) + '\r\n"2234567890,R07.01.10,1\r\n').encode(),
        RowProblem(3, WHOLE_FILE, "", '3 行目から始まる項目の引用符(")が閉じられていません。'),
    ),
    "empty file": (b"", RowProblem(0, WHOLE_FILE, "", "ファイルが空です。")),
    "blank file": (b"\r\n  \r\n", RowProblem(0, WHOLE_FILE, "", "ファイルが空です。")),
    "BOM only": (b"\xef\xbb\xbf", RowProblem(0, WHOLE_FILE, "", "ファイルが空です。")),
}


@pytest.mark.parametrize("kind", list(FILE_PROBLEMS))
def test_a_malformed_file_is_refused(tenants: Tenants, kind: str) -> None:
    data, expected = FILE_PROBLEMS[kind]
    outcome = run_import(tenants.insurer_a, data)
    assert_rejected(outcome, expected)


def test_undecodable_bytes_are_reported_by_line(tenants: Tenants) -> None:
    good = table(HEADER, [row(), row("2234567890")], encoding="cp932")
    data = good + b"3234567890,R07.01.10,\x85\x40,,,,\r\n"  # 0x85 0x40: no character in CP932

    outcome = run_import(tenants.insurer_a, data)

    assert_rejected(outcome)
    [problem] = outcome.problems
    assert problem.column == WHOLE_FILE
    assert problem.reason.startswith("文字コードを判別できません。")
    assert "CP932 としては 4 行目" in problem.reason
    assert outcome.run.encoding == ""


def test_five_thousand_bad_rows_are_counted_and_the_first_thousand_listed(tenants: Tenants) -> None:
    rows = [row(f"{i:09d}", applied="R07.01.10") for i in range(5000)]  # nine digits each

    outcome = run_import(tenants.insurer_a, table(HEADER, rows))

    assert_rejected(outcome)
    assert outcome.problem_count == 5000
    assert len(outcome.problems) == MAX_REPORTED_PROBLEMS
    assert [p.line for p in outcome.problems] == list(range(2, 2 + MAX_REPORTED_PROBLEMS))
    assert ImportRun.objects.get(pk=outcome.run.pk).error_count == 5000


def test_a_bad_file_leaves_earlier_imports_untouched(tenants: Tenants) -> None:
    cases = synthetic(100)
    assert run_import(tenants.insurer_a, export(cases)).ok
    before = {c.pk: (c.updated_at, c.content_digest) for c in Case.objects.all()}
    changed = [modified(c, survey_scheduled_on=AS_OF + timedelta(days=5)) for c in cases]
    changed[-1] = modified(changed[-1], insured_number="bad")

    outcome = run_import(tenants.insurer_a, export(changed))

    assert not outcome.ok
    assert ImportRun.objects.get(pk=outcome.run.pk).status == ImportRun.Status.REJECTED
    assert {c.pk: (c.updated_at, c.content_digest) for c in Case.objects.all()} == before


# ---------------------------------------------------------------------------------------------
# Tenants (T6): one insurer's import never reaches another's cases
# ---------------------------------------------------------------------------------------------


def test_the_same_file_for_two_insurers_makes_two_independent_sets(tenants: Tenants) -> None:
    cases = synthetic(200)
    data = export(cases)

    run_a = run_import(tenants.insurer_a, data).run
    run_b = run_import(tenants.insurer_b, data).run

    assert (run_a.created, run_b.created, run_b.unchanged) == (200, 200, 0)
    assert_matches(tenants.insurer_a, cases)
    assert_matches(tenants.insurer_b, cases)
    assert Case.objects.count() == 400


def test_an_import_for_one_insurer_never_changes_anothers_cases(tenants: Tenants) -> None:
    cases = synthetic(200)
    run_import(tenants.insurer_a, export(cases))
    run_import(tenants.insurer_b, export(cases))
    b_before = {
        c.pk: (c.updated_at, c.content_digest, c.last_import_id) for c in Case.objects.filter(insurer=tenants.insurer_b)
    }
    changed = [modified(c, survey_scheduled_on=AS_OF + timedelta(days=3)) if is_open(c) else c for c in cases]
    opened = sum(1 for c in cases if is_open(c))

    run = run_import(tenants.insurer_a, export(changed)).run

    assert (run.created, run.updated, run.unchanged) == (0, opened, 200 - opened)
    b_after = {
        c.pk: (c.updated_at, c.content_digest, c.last_import_id) for c in Case.objects.filter(insurer=tenants.insurer_b)
    }
    assert b_after == b_before
    assert_matches(tenants.insurer_a, changed)
    assert_matches(tenants.insurer_b, cases)
    # B's next import counts against B's cases only: A's newer dates are no "unchanged" for B.
    run_b = run_import(tenants.insurer_b, export(changed), dry_run=True).run
    assert (run_b.created, run_b.updated, run_b.unchanged) == (0, opened, 200 - opened)


def test_a_dry_run_for_one_insurer_counts_only_its_own_cases(tenants: Tenants) -> None:
    data = export(synthetic(50))
    run_import(tenants.insurer_a, data)
    run = run_import(tenants.insurer_b, data, dry_run=True).run
    assert (run.created, run.unchanged) == (50, 0)
