"""``manage.py import_cases``: what a nightly cron job sees — exit status 0 when imported (or
validated with --dry-run), 1 when refused, and every message in Japanese."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from shinchoku.cases.management.commands.import_cases import Command
from shinchoku.cases.models import Case, ImportRun
from shinchoku.cases.tests.files import HEADER, Tenants, export, is_open, make_tenants, row, synthetic, table
from shinchoku.insurers.models import Insurer

pytestmark = pytest.mark.django_db

RunCommand = Callable[..., tuple[int, str, str]]


@pytest.fixture
def tenants(db: None) -> Tenants:
    return make_tenants()


@pytest.fixture
def run_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunCommand:
    """Runs the command as manage.py does (``run_from_argv``); returns (exit status, stdout, stderr)."""
    # run_from_argv closes every connection when done; the test's connection holds the
    # transaction the test runs in, so that one close is skipped.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def _run(*args: str) -> tuple[int, str, str]:
        try:
            Command().run_from_argv(["manage.py", "import_cases", *args])
        except SystemExit as exc:
            status = int(exc.code or 0)
        else:
            status = 0
        out, err = capsys.readouterr()
        return status, out, err

    return _run


def _write(tmp_path: Path, data: bytes, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_it_imports_and_exits_zero(tenants: Tenants, run_command: RunCommand, tmp_path: Path) -> None:
    cases = synthetic(120)
    path = _write(tmp_path, export(cases, vendor="vendor_b"))
    closed = sum(1 for c in cases if not is_open(c))

    status, out, err = run_command("--insurer", "431007", str(path))

    assert status == 0, err
    assert out == f"熊本市: 120行を取り込みました。新規 120、更新 0、変更なし 0、うち完了・取下げ {closed}。\n"
    assert err == ""
    run = ImportRun.objects.get()
    assert (run.status, run.channel, run.actor_label, run.file_name, run.encoding) == (
        ImportRun.Status.SUCCEEDED,
        ImportRun.Channel.COMMAND,
        "manage.py import_cases",
        "export.csv",
        "cp932",
    )
    assert Case.objects.filter(insurer=tenants.insurer_a).count() == 120

    status, out, _ = run_command("--insurer", "４３１００７", str(path))
    assert status == 0
    assert "新規 0、更新 0、変更なし 120" in out


def test_a_refused_file_exits_one_with_each_problem_in_japanese(
    tenants: Tenants, run_command: RunCommand, tmp_path: Path
) -> None:
    path = _write(tmp_path, table(HEADER, [row(), row("12345"), row("2234567890", kind="再申請")]))

    status, out, err = run_command("--insurer", "431007", str(path))

    assert status == 1
    assert out == ""
    assert err.splitlines() == [
        "エラー: 3行目「被保険者番号」(1●●●5): 被保険者番号は10桁の数字(生活保護の方は先頭がH)です。",
        "エラー: 4行目「申請区分」(再申請): 申請区分が読めません(1〜6・A・B、または新規・更新・区分変更など)。",
        "CommandError: 2件の誤りがあるため、何も取り込みませんでした。",
    ]
    assert not Case.objects.exists()
    assert ImportRun.objects.get().status == ImportRun.Status.REJECTED


def test_a_whole_file_problem_names_no_line_zero(tenants: Tenants, run_command: RunCommand, tmp_path: Path) -> None:
    status, _, err = run_command("--insurer", "431007", str(_write(tmp_path, b"")))
    assert status == 1
    assert err.splitlines()[0] == "エラー: 「ファイル全体」: ファイルが空です。"


def test_more_problems_than_listed_are_counted(tenants: Tenants, run_command: RunCommand, tmp_path: Path) -> None:
    path = _write(tmp_path, table(HEADER, [row(f"{i:05d}") for i in range(1200)]))

    status, _, err = run_command("--insurer", "431007", str(path))

    lines = err.splitlines()
    assert status == 1
    assert len(lines) == 1000 + 2
    assert lines[-2:] == ["…ほか 200 件", "CommandError: 1200件の誤りがあるため、何も取り込みませんでした。"]


def test_a_dry_run_validates_only(tenants: Tenants, run_command: RunCommand, tmp_path: Path) -> None:
    path = _write(tmp_path, export(synthetic(40)))

    status, out, _ = run_command("--insurer", "431007", "--dry-run", str(path))

    assert status == 0
    assert out.startswith("熊本市: 40行を検証しました(取り込んでいません)。新規 40、")
    assert not Case.objects.exists()
    assert ImportRun.objects.get().status == ImportRun.Status.DRY_RUN

    bad = _write(tmp_path, table(HEADER, [row("1")]), "bad.csv")
    status, _, err = run_command("--insurer", "431007", "--dry-run", str(bad))
    assert status == 1
    assert "1件の誤りがあるため" in err


def test_warnings_are_printed_and_do_not_refuse_the_file(
    tenants: Tenants, run_command: RunCommand, tmp_path: Path
) -> None:
    data = table([*HEADER, "事業所番号"], [[*row(), "4370100011"]])  # check digit should be 0

    status, out, err = run_command("--insurer", "431007", str(_write(tmp_path, data)))

    assert status == 0
    assert "1行を取り込みました" in out
    assert (
        err
        == "注意: 2行目「事業所番号」(4●●●●●●●●1): 介護保険事業所番号の検査数字が一致しません。番号をご確認ください。\n"
    )


@pytest.mark.parametrize(
    ("insurer", "message"),
    [
        ("999999", "CommandError: 保険者番号 999999 の保険者は登録されていません。"),
        ("12345", "CommandError: 保険者番号は6桁の数字で入力してください。"),
        ("熊本市", "CommandError: 保険者番号は6桁の数字で入力してください。"),
    ],
)
def test_an_unknown_insurer_exits_one(
    tenants: Tenants, run_command: RunCommand, tmp_path: Path, insurer: str, message: str
) -> None:
    path = _write(tmp_path, table(HEADER, [row()]))
    status, out, err = run_command("--insurer", insurer, str(path))
    assert (status, out, err) == (1, "", message + "\n")
    assert not ImportRun.objects.exists()


def test_an_inactive_insurer_is_refused(tenants: Tenants, run_command: RunCommand, tmp_path: Path) -> None:
    Insurer.objects.filter(pk=tenants.insurer_b.pk).update(is_active=False)
    path = _write(tmp_path, table(HEADER, [row()]))
    status, _, err = run_command("--insurer", "141002", str(path))
    assert (status, err) == (1, "CommandError: 保険者番号 141002 の保険者は登録されていません。\n")


def test_an_unreadable_file_exits_one(tenants: Tenants, run_command: RunCommand, tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    status, _, err = run_command("--insurer", "431007", str(missing))
    assert status == 1
    assert err.startswith(f"CommandError: ファイルを読めません: {missing}: ")

    status, _, err = run_command("--insurer", "431007", str(tmp_path))
    assert status == 1
    assert err.startswith(f"CommandError: ファイルを読めません: {tmp_path}: ")
    assert not ImportRun.objects.exists()


def test_call_command_raises_for_a_refused_file(tenants: Tenants, tmp_path: Path) -> None:
    path = _write(tmp_path, table(HEADER, [row("1")]))
    with pytest.raises(CommandError, match="1件の誤りがあるため、何も取り込みませんでした。"):
        call_command("import_cases", "--insurer", "431007", str(path))
