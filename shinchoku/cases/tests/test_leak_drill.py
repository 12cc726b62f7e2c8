"""The leak drill (DESIGN T5, and the rule "never log, e-mail or put in a URL a 被保険者番号").

Imports synthetic files through every path the importer has — upload, the management command,
rows from the API, a re-import, a changed file, a dry run, and refused files including one whose
columns are swapped so numbers sit where dates belong — and then looks for every number of those
files, half- and full-width, in:

(a) a full SQL dump of the database (``iterdump`` on SQLite; ``pg_dump`` on PostgreSQL);
(b) every log record emitted meanwhile at DEBUG, SQL statements and their parameters included,
    taken raw: the redaction filter is switched off, so it proves nothing was even attempted;
(c) every e-mail sent; (d) every row of the audit trail; (e) what the command printed and the
    problem messages shown to staff.

The figure "plaintext identifiers found by the leak drill" is printed; it must be 0.

The test is transactional (data committed) because ``pg_dump`` runs in another session and
cannot see a test's uncommitted transaction. The audit table refuses DELETE and TRUNCATE, so, as
in tests/browser/conftest.py, its triggers are dropped just before pytest-django empties the
tables and put back after this module.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from pytest_django import DjangoDbBlocker

from shinchoku.audit import triggers
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.importing.service import ImportOutcome, cases_import, cases_import_rows
from shinchoku.cases.models import Case, ImportRun
from shinchoku.cases.tests.files import AS_OF, FULL_WIDTH, export, modified, synthetic
from shinchoku.lib.synthetic import vendor_header
from shinchoku.web.logging import RedactIdentifiersFilter
from tests.personas import Cast

STAFF_LABEL = "a-staff@test.example"


@pytest.fixture(scope="module", autouse=True)
def _audit_triggers_back_afterwards(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        triggers.remove(connection)
        triggers.install(connection)


@pytest.fixture(autouse=True)
def _audit_triggers_off_for_flush(transactional_db: None) -> Iterator[None]:
    triggers.remove(connection)
    triggers.install(connection)  # in force while the test runs
    yield
    triggers.remove(connection)


@pytest.fixture
def raw_logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.LogCaptureFixture]:
    """Every record at DEBUG, SQL included, as emitted: the redaction filter lets all through untouched."""
    monkeypatch.setattr(RedactIdentifiersFilter, "filter", lambda self, record: True)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = True  # log every query with its parameters, as DEBUG=True would
    try:
        yield caplog  # read .records in the test: each test phase has its own
    finally:
        connection.force_debug_cursor = forced


def sql_dump() -> str:
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return "\n".join(connection.connection.iterdump())
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    pg_dump = shutil.which("pg_dump")
    assert pg_dump is not None, "pg_dump (postgresql-client) is needed for the leak drill on PostgreSQL"
    done = subprocess.run(  # noqa: S603 - fixed arguments, the test database
        [
            pg_dump,
            "--host",
            settings.get("HOST") or "127.0.0.1",
            "--port",
            str(settings.get("PORT") or 5432),
            "--username",
            settings.get("USER") or "postgres",
            "--no-password",
            str(name),
        ],
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout.decode("utf-8")


def leaks(numbers: set[str], places: dict[str, str]) -> list[tuple[str, str]]:
    """(place, masked number) for every number found in a place, half- or full-width."""
    found = []
    for place, text in places.items():
        for number in numbers:
            if number in text or number.translate(FULL_WIDTH) in text:
                found.append((place, number[0] + "…" + number[-1]))
    return found


def _swap_number_and_date(data: bytes) -> bytes:
    """A vendor_a export with two columns' contents swapped: numbers under 申請年月日, dates under 被保番号."""
    rows = list(csv.reader(io.StringIO(data.decode("cp932"), newline="")))
    number, applied = rows[0].index("被保番号"), rows[0].index("申請年月日")
    for row in rows[1:]:
        row[number], row[applied] = row[applied], row[number]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("cp932")


@pytest.mark.django_db(transaction=True)
def test_no_plaintext_identifier_leaves_the_importer(
    cast: Cast,
    raw_logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    cases_a = synthetic(300, seed=1)
    cases_b = synthetic(150, seed=2, insurer_number="141002") + cases_a[:50]  # some people at both
    numbers = {c.insured_number for c in cases_a + cases_b}
    assert len(numbers) > 400
    file_a = export(cases_a, vendor="vendor_a")
    outcomes: list[ImportOutcome] = []

    def upload(data: bytes, *, dry_run: bool = False) -> None:
        outcomes.append(
            cases_import(
                actor=cast.a_staff,
                actor_label=STAFF_LABEL,
                insurer=cast.insurer_a,
                data=data,
                file_name="ninntei.csv",
                channel=ImportRun.Channel.UPLOAD,
                dry_run=dry_run,
                today=AS_OF,
            )
        )

    upload(file_a)
    upload(file_a)
    changed = [modified(c, survey_scheduled_on=AS_OF) if c.survey_scheduled_on is None else c for c in cases_a]
    upload(export(changed, vendor="vendor_a"), dry_run=True)
    upload(export(changed, vendor="vendor_a"))
    bad = [modified(c, insured_number=c.insured_number + "0") for c in cases_a[:20]]
    upload(export(bad + cases_a[20:], vendor="vendor_a"))
    upload(_swap_number_and_date(file_a))
    assert [o.ok for o in outcomes] == [True, True, True, True, False, False]

    header = vendor_header("vendor_b")
    rows = list(csv.reader(io.StringIO(export(cases_b[:100], vendor="vendor_b", encoding="utf-8").decode())))[1:]
    outcomes.append(
        cases_import_rows(
            actor=None,
            actor_label="api:test",
            insurer=cast.insurer_b,
            header=header,
            rows=rows,
            channel=ImportRun.Channel.API,
            today=AS_OF,
        )
    )
    assert outcomes[-1].ok, outcomes[-1].problems[:3]

    printed = []
    for name, data in (("b.csv", export(cases_b, vendor="vendor_b")), ("swapped.csv", _swap_number_and_date(file_a))):
        path = tmp_path / name
        path.write_bytes(data)
        try:
            call_command("import_cases", "--insurer", "141002" if name == "b.csv" else "431007", str(path))
        except CommandError as exc:
            printed.append(str(exc))
        out, err = capsys.readouterr()
        printed += [out, err]
    assert "エラー: 2行目「申請年月日」" in printed[-1]  # the swapped file was refused, loudly
    assert Case.objects.filter(insurer=cast.insurer_a).count() == 300
    assert Case.objects.filter(insurer=cast.insurer_b).count() == len(cases_b)

    dump = sql_dump()
    log_text = "\n".join(
        f"{record.getMessage()} {vars(record)!r} {record.exc_text or ''}" for record in raw_logs.records
    )
    audit = "\n".join(repr(row) for row in AuditEvent.objects.values())
    e_mail = "\n".join(
        f"{m.subject}\n{m.body}\n{m.to}\n{getattr(m, 'alternatives', '')!r}\n{m.attachments!r}" for m in mail.outbox
    )
    shown = "\n".join(str(p) for o in outcomes for p in [*o.problems, *o.warnings])
    places = {
        "SQL dump": dump,
        "log records": log_text,
        "e-mail": e_mail,
        "audit trail": audit,
        "command output": "\n".join(printed),
        "problem messages": shown,
    }

    # The drill can see: the dump holds the cases (as ciphertext and index), the log the SQL,
    # and a number planted in a place is found.
    case = Case.objects.filter(insurer=cast.insurer_a).first()
    assert case is not None
    assert case.insured_index in dump
    assert case.insured_number_enc in dump
    assert "cases_case" in log_text
    assert AuditEvent.objects.filter(event_type__startswith="cases:import:").count() == len(outcomes) + 2
    planted = next(iter(numbers))
    assert leaks({planted}, {"planted": f"x{planted.translate(FULL_WIDTH)}y"}) == [
        ("planted", planted[0] + "…" + planted[-1])
    ]

    found = leaks(numbers, places)
    with capsys.disabled():
        print(
            f"\nplaintext identifiers found by the leak drill: {len(found)} ({len(numbers)} numbers, {len(places)} places)"
        )
    assert found == []
