"""The synthetic-data command writes the file it was asked for, which imports cleanly; the demo
brings a believable month of cases through the real importer and can be run again and again."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from shinchoku.cases.importing.service import cases_import
from shinchoku.cases.models import Case, ErasureRecord, ImportRun
from shinchoku.cases.retention import cases_purge_expired
from shinchoku.insurers.models import Insurer
from shinchoku.lib.synthetic import vendor_header
from tests.personas import Cast

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def _generate(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("generate_cases", str(path), *args, stdout=out)
    return out.getvalue()


def _import(insurer: Insurer, path: Path) -> ImportRun:
    outcome = cases_import(
        actor=None,
        actor_label="test",
        insurer=insurer,
        data=path.read_bytes(),
        file_name=path.name,
        channel=ImportRun.Channel.COMMAND,
    )
    assert outcome.ok, outcome.problems[:5]
    return outcome.run


def test_it_writes_the_requested_rows_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    message = _generate(
        path, "--insurer", "431007", "--count", "750", "--as-of", "2025-02-06", "--seed", "7", "--vendor", "vendor_a"
    )
    assert message.strip() == (
        "保険者番号 431007 の架空の認定申請 750件を " + str(path) + " に書き出しました"
        "(基準日 2025-02-06、vendor_a、cp932、和暦)。"
    )
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp932"))))
    assert rows[0] == vendor_header("vendor_a")
    assert len(rows) == 751
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    ("vendor", "encoding", "date_style"),
    [
        ("default", "cp932", "wareki"),
        ("vendor_a", "utf-8-sig", "seireki"),
        ("vendor_b", "cp932", "wareki"),
        ("vendor_b", "utf-8-sig", "compact"),
    ],
)
def test_the_file_imports_cleanly(cast: Cast, tmp_path: Path, vendor: str, encoding: str, date_style: str) -> None:
    path = tmp_path / "export.csv"
    _generate(
        path,
        *("--insurer", "431007", "--count", "300", "--as-of", "2025-02-06", "--seed", "11"),
        *("--vendor", vendor, "--encoding", encoding, "--date-style", date_style),
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") is (encoding == "utf-8-sig")
    run = _import(cast.insurer_a, path)
    assert (run.rows, run.created) == (300, 300)
    assert Case.objects.filter(insurer=cast.insurer_a).count() == 300
    assert _import(cast.insurer_a, path).unchanged == 300  # the same file twice changes nothing


def test_the_same_arguments_write_the_same_file(tmp_path: Path) -> None:
    args = ("--insurer", "141002", "--count", "200", "--as-of", "2025-03-31", "--seed", "5")
    _generate(tmp_path / "a.csv", *args)
    _generate(tmp_path / "b.csv", *args)
    _generate(tmp_path / "c.csv", *args[:-1], "6")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--insurer", "43100", "--count", "5"), "6桁"),
        (("--insurer", "431007", "--count", "5", "--as-of", "2025/02/06"), "YYYY-MM-DD"),
        (("--insurer", "431007", "--count", "-1"), "0以上"),
        (("--insurer", "431007", "--count", "5", "--span-days", "0"), "span_days"),
    ],
)
def test_it_refuses_bad_arguments_and_leaves_no_file(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    path = tmp_path / "export.csv"
    with pytest.raises(CommandError) as info:
        _generate(path, *args)
    assert message in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_place_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as info:
        _generate(tmp_path / "missing" / "export.csv", "--insurer", "431007", "--count", "5")
    assert "書き出せません" in str(info.value)


# -- the demo ----------------------------------------------------------------------------------


@pytest.fixture
def demo_var(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path  # the demo's credentials file goes here, not into the checkout
    return tmp_path


def _seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {i.number: Case.objects.filter(insurer=i).count() for i in Insurer.objects.all()}


def test_the_demo_brings_a_believable_month(demo_var: Path) -> None:
    with time_machine.travel(datetime(2025, 6, 2, 9, 0, tzinfo=TOKYO), tick=False):
        output = _seed_demo()
    counts = _counts()
    assert 1300 <= counts["431007"] <= 1700
    assert 200 <= counts["141002"] <= 400
    kumamoto = Insurer.objects.get(number="431007")
    for office in ("4370100010", "4370100028"):
        assert 20 <= Case.objects.filter(insurer=kumamoto, office_number=office).count() <= 40
    # A month in progress: recent applications still open, older ones decided.
    cases = Case.objects.filter(insurer=kumamoto)
    assert cases.filter(applied_on__gte=date(2025, 5, 3)).count() >= 500
    assert cases.filter(certified_on__isnull=False).exists()
    assert cases.filter(certified_on__isnull=True, closure="").exists()
    assert cases.filter(extension_notified_on__isnull=False).exists()
    assert min(cases.values_list("applied_on", flat=True)) >= date(2025, 6, 2) - timedelta(days=75)
    run = ImportRun.objects.filter(insurer=kumamoto).get()
    assert (run.channel, run.actor, run.actor_label, run.encoding) == (
        ImportRun.Channel.COMMAND,
        None,
        "manage.py seed_demo",
        "cp932",
    )
    assert f"熊本市: {counts['431007']:,}件" in output
    assert "みどり居宅介護支援事業所(4370100010):" in output


def test_the_demo_holds_nothing_retention_would_erase(demo_var: Path) -> None:
    with time_machine.travel(datetime(2025, 6, 2, 9, 0, tzinfo=TOKYO), tick=False):
        _seed_demo()
        for insurer in Insurer.objects.all():
            assert cases_purge_expired(insurer=insurer, today=date(2025, 6, 2), job="test") is None


def test_seeding_the_demo_twice_changes_nothing(demo_var: Path) -> None:
    with time_machine.travel(datetime(2025, 6, 2, 9, 0, tzinfo=TOKYO), tick=False):
        _seed_demo()
        counts = _counts()
        output = _seed_demo()
    assert _counts() == counts
    second = ImportRun.objects.filter(insurer__number="431007").order_by("-pk").first()
    assert second is not None
    assert (second.created, second.updated, second.unchanged) == (0, 0, counts["431007"])
    assert f"新規 0、更新 0、変更なし {counts['431007']:,}" in output


def test_seeding_again_on_a_later_day_keeps_the_month_and_does_not_revive_erased_cases(demo_var: Path) -> None:
    with time_machine.travel(datetime(2025, 6, 2, 9, 0, tzinfo=TOKYO), tick=False):
        _seed_demo()
    first = _counts()
    later = date(2025, 6, 20)
    with time_machine.travel(datetime(2025, 6, 20, 3, 0, tzinfo=TOKYO), tick=False):
        call_command("purge_expired", stdout=io.StringIO())
        erased = sum(ErasureRecord.objects.values_list("deleted_count", flat=True))
        assert erased > 0
        output = _seed_demo()
    assert "2025-06-02 時点のデータ" in output  # the anchor stays with the database
    assert sum(_counts().values()) == sum(first.values()) - erased
    for insurer in Insurer.objects.all():
        assert cases_purge_expired(insurer=insurer, today=later, job="test") is None
