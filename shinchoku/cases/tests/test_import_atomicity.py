"""An import is one transaction: a failure anywhere inside it — an exception in the merge, a
failed audit write, or the process killed with SIGKILL in the middle of writing cases — leaves
no case and no "succeeded" run behind, and the next import of the same file simply works.

The kill test runs ``manage.py`` in subprocesses against a throwaway database of its own (a
SQLite file, or a scratch PostgreSQL database when the suite runs on PostgreSQL), so the test
database is never touched and the real engine's crash recovery is what is tested.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg.conninfo import make_conninfo

from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.audit.services import audit_record
from shinchoku.cases.importing.staging import StagingWriter
from shinchoku.cases.models import Case, ImportRun
from shinchoku.cases.tests.files import AS_OF, Tenants, export, make_tenants, run_import, synthetic
from shinchoku.lib.synthetic import generate_cases, write_csv

pytestmark = pytest.mark.django_db

MANAGE = Path(settings.BASE_DIR) / "manage.py"
KILL_ROWS = 20_000
TIMEOUT = 180.0
# More than the WAL header (32 bytes) and a few frames: cases_case pages spilling mid-statement.
SPILLED = 64 * 1024


@pytest.fixture
def tenants(db: None) -> Tenants:
    return make_tenants()


class Boom(RuntimeError):
    pass


def assert_nothing_imported() -> None:
    assert not Case.objects.exists()
    assert not ImportRun.objects.filter(status=ImportRun.Status.SUCCEEDED).exists()
    assert not AuditEvent.objects.filter(event_type=EventType.CASES_IMPORT_COMPLETED).exists()


# ---------------------------------------------------------------------------------------------
# Exceptions inside the transaction
# ---------------------------------------------------------------------------------------------


def test_an_exception_in_the_merge_after_writing_leaves_nothing(
    tenants: Tenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = export(synthetic(200))
    merge = StagingWriter.merge
    written: list[int] = []

    def merge_then_fail(self: StagingWriter, **kwargs: Any) -> None:
        merge(self, **kwargs)
        written.append(Case.objects.count())  # the rows really are in cases_case, uncommitted
        raise Boom

    monkeypatch.setattr(StagingWriter, "merge", merge_then_fail)
    with pytest.raises(Boom):
        run_import(tenants.insurer_a, data)

    assert written == [200]
    assert_nothing_imported()
    monkeypatch.undo()
    outcome = run_import(tenants.insurer_a, data)
    assert (outcome.ok, outcome.run.created) == (True, 200)


def test_an_exception_before_the_merge_writes_leaves_nothing(tenants: Tenants, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: StagingWriter, **kwargs: Any) -> None:
        assert self.count == 120  # the staging table is loaded
        raise Boom

    monkeypatch.setattr(StagingWriter, "merge", fail)
    with pytest.raises(Boom):
        run_import(tenants.insurer_a, export(synthetic(120)))
    assert_nothing_imported()


def test_an_exception_while_staging_leaves_nothing(tenants: Tenants, monkeypatch: pytest.MonkeyPatch) -> None:
    write = StagingWriter.write

    def write_some(self: StagingWriter, row: Any) -> None:
        if self.count == 50:
            raise Boom
        write(self, row)

    monkeypatch.setattr(StagingWriter, "write", write_some)
    with pytest.raises(Boom):
        run_import(tenants.insurer_a, export(synthetic(120)))
    assert_nothing_imported()


def test_an_import_whose_audit_event_cannot_be_written_does_not_happen(
    tenants: Tenants, monkeypatch: pytest.MonkeyPatch
) -> None:

    def refuse_completion(**kwargs: Any) -> object:
        if kwargs["event_type"] == EventType.CASES_IMPORT_COMPLETED:
            raise Boom
        return audit_record(**kwargs)

    monkeypatch.setattr("shinchoku.cases.importing.service.audit_record", refuse_completion)
    with pytest.raises(Boom):
        run_import(tenants.insurer_a, export(synthetic(80)))
    assert_nothing_imported()


# ---------------------------------------------------------------------------------------------
# kill -9 in the middle of the merge, on a real database file or server
# ---------------------------------------------------------------------------------------------


@dataclass
class Scratch:
    """A throwaway database for ``manage.py`` subprocesses, and a way to look into it."""

    env: dict[str, str]
    scalar: Callable[[str], int]
    # Blocks until the import process is writing cases; returns what showed it.
    wait_for_merge: Callable[[subprocess.Popen[bytes]], str]
    # Blocks until the database no longer serves the killed process.
    wait_until_released: Callable[[], None]
    checks: list[Callable[[], None]] = field(default_factory=list)

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
            [sys.executable, str(MANAGE), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )


def _env(var_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env["SHINCHOKU_VAR_DIR"] = str(var_dir)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def _poll(proc: subprocess.Popen[bytes], probe: Callable[[], str | None]) -> str:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the import ended (status {proc.returncode}) before it was seen writing cases")
        seen = probe()
        if seen:
            return seen
        time.sleep(0.005)
    pytest.fail("the import was never seen writing cases")


def _sqlite_scratch(var_dir: Path) -> Iterator[Scratch]:
    path = var_dir / "shinchoku.sqlite3"
    wal = var_dir / "shinchoku.sqlite3-wal"

    def scalar(sql: str) -> int:
        with sqlite3.connect(path) as db:
            return int(db.execute(sql).fetchone()[0])

    def wait_for_merge(proc: subprocess.Popen[bytes]) -> str:
        # The staging table lives in SQLite's temp store; the WAL of the main database grows
        # only when uncommitted pages of cases_case spill out of the page cache mid-merge.
        def probe() -> str | None:
            size = wal.stat().st_size if wal.exists() else 0
            return f"{size:,} bytes of uncommitted pages in the WAL" if size > SPILLED else None

        return _poll(proc, probe)

    def integrity() -> None:
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    yield Scratch(_env(var_dir, None), scalar, wait_for_merge, lambda: None, [integrity])


def _postgres_scratch(var_dir: Path) -> Iterator[Scratch]:
    config = settings.DATABASES["default"]
    host, port = config.get("HOST") or "127.0.0.1", config.get("PORT") or 5432
    user, password = config.get("USER") or "postgres", config.get("PASSWORD") or ""
    name = f"shinchoku_kill_{os.getpid()}"

    def connect(dbname: str) -> psycopg.Connection[Any]:
        info = make_conninfo(host=host, port=port, user=user, password=password or None, dbname=dbname)
        return psycopg.connect(info, autocommit=True)

    with connect("postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    credentials = quote(user) + (f":{quote(password)}" if password else "")
    url = f"postgres://{credentials}@{host}:{port}/{name}"
    monitor = connect(name)
    others = "datname = current_database() AND pid <> pg_backend_pid()"  # every backend but ours
    merging = (
        f"SELECT pid FROM pg_stat_activity WHERE {others} AND state = 'active' "  # noqa: S608 - constants only
        r"AND query ~* '^\s*INSERT INTO cases_case'"
    )
    connected = f"SELECT COUNT(*) FROM pg_stat_activity WHERE {others}"  # noqa: S608 - constants only

    def scalar(sql: str) -> int:
        row = monitor.execute(sql).fetchone()
        assert row is not None
        return int(row[0])

    def wait_for_merge(proc: subprocess.Popen[bytes]) -> str:
        def probe() -> str | None:
            row = monitor.execute(merging).fetchone()
            return f"backend {row[0]} running INSERT INTO cases_case" if row else None

        return _poll(proc, probe)

    def wait_until_released() -> None:
        # The server finishes the statement it was running, finds the client gone, rolls back.
        deadline = time.monotonic() + TIMEOUT
        while scalar(connected):
            assert time.monotonic() < deadline, "the killed import's backend never went away"
            time.sleep(0.05)

    try:
        yield Scratch(_env(var_dir, url), scalar, wait_for_merge, wait_until_released)
    finally:
        monitor.close()
        with connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Scratch]:
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    if connection.vendor == "postgresql":
        yield from _postgres_scratch(var_dir)
    else:
        yield from _sqlite_scratch(var_dir)


CREATE_INSURER = (
    "from shinchoku.insurers.services import insurer_create; insurer_create(actor=None, number='431007', name='熊本市')"
)


def test_an_import_killed_mid_merge_leaves_nothing_and_the_next_one_succeeds(
    scratch: Scratch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (("migrate", "-v", "0"), ("shell", "--no-imports", "-c", CREATE_INSURER)):
        done = scratch.manage(*args)
        assert done.returncode == 0, done.stderr
    path = tmp_path / "export.csv"
    with path.open("wb") as out:
        cases = generate_cases(insurer_number="431007", count=KILL_ROWS, as_of=AS_OF, seed=9, span_days=180)
        assert write_csv(cases, out, vendor="vendor_a") == KILL_ROWS
    command = [sys.executable, str(MANAGE), "import_cases", "--insurer", "431007", str(path)]
    with (tmp_path / "killed.out").open("wb") as log:
        proc = subprocess.Popen(command, env=scratch.env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            evidence = scratch.wait_for_merge(proc)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()  # no-op once killed; stops it if the wait failed
            proc.wait(timeout=TIMEOUT)
    assert proc.returncode == -signal.SIGKILL, evidence
    with capsys.disabled():
        print(f"\nkilled with SIGKILL mid-merge ({connection.vendor}): {evidence}")
    scratch.wait_until_released()

    assert scratch.scalar("SELECT COUNT(*) FROM cases_case") == 0, evidence
    assert scratch.scalar("SELECT COUNT(*) FROM cases_importrun") == 0  # the run row was in the transaction too
    for check in scratch.checks:
        check()

    done = scratch.manage("import_cases", "--insurer", "431007", str(path))
    assert done.returncode == 0, done.stderr
    assert f"{KILL_ROWS}行を取り込みました。新規 {KILL_ROWS}、更新 0、変更なし 0" in done.stdout
    assert scratch.scalar("SELECT COUNT(*) FROM cases_case") == KILL_ROWS
    assert scratch.scalar("SELECT COUNT(*) FROM cases_importrun WHERE status = 'succeeded'") == 1
