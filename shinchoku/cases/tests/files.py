"""Import files for the importer's tests: synthetic exports and small hand-written tables."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Sequence
from datetime import date

from django.db.models import QuerySet

from shinchoku.cases.identity import decrypt_insured
from shinchoku.cases.importing.service import ImportOutcome, cases_import
from shinchoku.cases.models import Case, ImportRun
from shinchoku.insurers.models import Insurer
from shinchoku.insurers.services import insurer_create
from shinchoku.lib.synthetic import SyntheticCase, generate_cases, write_csv

# The synthetic exports are taken at the end of this day, and the imports run on it.
AS_OF = date(2025, 2, 6)
TODAY = AS_OF

FULL_WIDTH = str.maketrans("0123456789H", "０１２３４５６７８９Ｈ")


def synthetic(count: int, *, seed: int = 20250206, insurer_number: str = "431007") -> list[SyntheticCase]:
    return list(generate_cases(insurer_number=insurer_number, count=count, as_of=AS_OF, seed=seed))


def export(
    cases: Iterable[SyntheticCase], *, vendor: str = "default", encoding: str = "cp932", date_style: str = "wareki"
) -> bytes:
    out = io.BytesIO()
    write_csv(cases, out, vendor=vendor, encoding=encoding, date_style=date_style)
    return out.getvalue()


def table(header: Sequence[str], rows: Iterable[Sequence[str]], *, encoding: str = "utf-8") -> bytes:
    """A small CSV as an exporter writes it (CRLF line ends)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


# A minimal file: the three required columns and a few milestones, canonical headers.
HEADER = ["被保険者番号", "申請日", "申請区分", "認定調査実施日", "認定日", "取下げ・却下", "取下げ・却下日"]


def row(
    number: str = "1234567890",
    applied: str = "R07.01.10",
    kind: str = "1",
    *,
    survey_done: str = "",
    certified: str = "",
    closure: str = "",
    closed: str = "",
) -> list[str]:
    return [number, applied, kind, survey_done, certified, closure, closed]


@dataclasses.dataclass(frozen=True)
class Tenants:
    """Insurer A (熊本市) and insurer B (横浜市), as in tests.personas, without the people: the
    importer needs none, and building the whole cast would double these tests' time."""

    insurer_a: Insurer
    insurer_b: Insurer


def make_tenants() -> Tenants:
    return Tenants(
        insurer_create(actor=None, number="431007", name="熊本市"),
        insurer_create(actor=None, number="141002", name="横浜市"),
    )


def run_import(
    insurer: Insurer, data: bytes, *, dry_run: bool = False, today: date = TODAY, file_name: str = "export.csv"
) -> ImportOutcome:
    return cases_import(
        actor=None,
        actor_label="test",
        insurer=insurer,
        data=data,
        file_name=file_name,
        channel=ImportRun.Channel.UPLOAD,
        dry_run=dry_run,
        today=today,
    )


def modified(case: SyntheticCase, **changes: object) -> SyntheticCase:
    return dataclasses.replace(case, **changes)  # type: ignore[arg-type]


def stored(insurer: Insurer) -> dict[tuple[str, date, str], Case]:
    """The insurer's cases by (decrypted number, 申請日, 申請区分)."""
    cases: QuerySet[Case] = Case.objects.filter(insurer=insurer)
    return {
        (decrypt_insured(insurer.number, case.insured_number_enc), case.applied_on, case.application_kind): case
        for case in cases
    }


def key(case: SyntheticCase) -> tuple[str, date, str]:
    return (case.insured_number, case.applied_on, case.application_kind)


def is_open(case: SyntheticCase) -> bool:
    return not case.closure and case.certified_on is None
