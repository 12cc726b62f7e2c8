"""Synthetic demo tenants, one account per role, and a believable month of synthetic cases. Development only."""

from __future__ import annotations

import dataclasses
import io
import json
import secrets
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import totp_enrol_for_setup, user_create
from shinchoku.cases.importing.service import cases_import
from shinchoku.cases.models import Case, ImportRun
from shinchoku.cases.retention import last_day_kept
from shinchoku.insurers.models import Insurer
from shinchoku.insurers.services import insurer_create
from shinchoku.lib.synthetic import SyntheticCase, generate_cases, office_number_pool, write_csv
from shinchoku.offices.models import ApprovalStatus, CareOffice, OfficeKind
from shinchoku.offices.services import approval_set_status, office_create

DEMO_DOMAIN = "demo.shinchoku.example"  # .example is reserved (RFC 2606): mail never leaves


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    role: Role
    insurer_number: str | None = None
    office_number: str | None = None


INSURERS = [("431007", "熊本市"), ("141002", "横浜市")]
OFFICES = [
    ("4370100010", "みどり居宅介護支援事業所", OfficeKind.HOME_CARE_SUPPORT),
    ("4370100028", "中央地域包括支援センター", OfficeKind.COMMUNITY_SUPPORT_CENTER),
]
# Office 1 serves Kumamoto only; office 2 serves both (a care office near a city boundary).
APPROVALS = [
    ("431007", "4370100010"),
    ("431007", "4370100028"),
    ("141002", "4370100028"),
]
ACCOUNTS = [
    DemoAccount(f"platform@{DEMO_DOMAIN}", "基盤 管理者", Role.PLATFORM_ADMIN),
    DemoAccount(
        f"kumamoto.admin@{DEMO_DOMAIN}",
        "熊本 管理者",
        Role.INSURER_ADMIN,
        insurer_number="431007",
    ),
    DemoAccount(
        f"kumamoto.staff@{DEMO_DOMAIN}",
        "熊本 認定係",
        Role.INSURER_STAFF,
        insurer_number="431007",
    ),
    DemoAccount(
        f"kumamoto.auditor@{DEMO_DOMAIN}",
        "熊本 監査担当",
        Role.AUDITOR,
        insurer_number="431007",
    ),
    DemoAccount(
        f"kumamoto.operator@{DEMO_DOMAIN}",
        "委託 運用担当",
        Role.OPERATOR,
        insurer_number="431007",
    ),
    DemoAccount(
        f"yokohama.admin@{DEMO_DOMAIN}",
        "横浜 管理者",
        Role.INSURER_ADMIN,
        insurer_number="141002",
    ),
    DemoAccount(
        f"yokohama.staff@{DEMO_DOMAIN}",
        "横浜 認定係",
        Role.INSURER_STAFF,
        insurer_number="141002",
    ),
    DemoAccount(
        f"midori.admin@{DEMO_DOMAIN}",
        "みどり 事業所管理者",
        Role.OFFICE_ADMIN,
        office_number="4370100010",
    ),
    DemoAccount(
        f"midori.cm@{DEMO_DOMAIN}",
        "みどり ケアマネ",
        Role.CARE_MANAGER,
        office_number="4370100010",
    ),
    DemoAccount(
        f"chuo.admin@{DEMO_DOMAIN}",
        "中央 事業所管理者",
        Role.OFFICE_ADMIN,
        office_number="4370100028",
    ),
    DemoAccount(
        f"chuo.cm@{DEMO_DOMAIN}",
        "中央 ケアマネ",
        Role.CARE_MANAGER,
        office_number="4370100028",
    ),
]

_WORDS = (
    "sakura",
    "yama",
    "kawa",
    "umi",
    "sora",
    "hoshi",
    "mori",
    "hana",
    "tori",
    "kaze",
    "ishi",
    "mizu",
    "yuki",
    "tsuki",
    "kumo",
    "nami",
    "michi",
    "hashi",
    "shima",
    "taki",
)


def _passphrase() -> str:
    """Four random words and a number: long, easy to type, unique to this machine."""
    words = [secrets.choice(_WORDS) for _ in range(4)]
    return "-".join(words) + f"-{secrets.randbelow(90) + 10}"


def current_totp(secret: str, at: float | None = None) -> str:
    """The code an authenticator app would show now (RFC 6238, 30 s steps, 6 digits)."""
    code: str = format_hotp_value(hotp_value(secret, int(time.time() if at is None else at) // 30))
    return code


def credentials_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-credentials.json"


def _load_credentials() -> dict[str, dict[str, str]]:
    path = credentials_path()
    if path.exists():
        loaded: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    return {}


def _save_credentials(data: dict[str, dict[str, str]]) -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)


def seed() -> dict[str, dict[str, str]]:
    """The whole demo: tenants, accounts and a month of cases; returns every demo login."""
    credentials = seed_accounts()
    seed_cases()
    return credentials


@transaction.atomic
def seed_accounts() -> dict[str, dict[str, str]]:
    """Creates what is missing and returns every demo login; running it twice changes nothing."""
    insurers: dict[str, Insurer] = {}
    for number, name in INSURERS:
        found = Insurer.objects.filter(number=number).first()
        insurers[number] = found or insurer_create(actor=None, number=number, name=name)
    offices: dict[str, CareOffice] = {}
    for number, name, kind in OFFICES:
        found_office = CareOffice.objects.filter(number=number).first()
        offices[number] = found_office or office_create(actor=None, number=number, name=name, kind=kind)
    for insurer_number, office_number in APPROVALS:
        approval_set_status(
            actor=None,
            insurer=insurers[insurer_number],
            office=offices[office_number],
            status=ApprovalStatus.APPROVED,
        )

    credentials = _load_credentials()
    for account in ACCOUNTS:
        entry = credentials.get(account.email)
        user = User.objects.filter(email=account.email).first()
        if user is None or entry is None:
            entry = {
                "password": _passphrase(),
                "totp_secret": generate_totp_secret(),
                "role": str(account.role.label),
            }
            if user is None:
                user = user_create(
                    actor=None,
                    email=account.email,
                    display_name=account.display_name,
                    role=account.role,
                    insurer=insurers.get(account.insurer_number or ""),
                    office=offices.get(account.office_number or ""),
                    password=entry["password"],
                )
            else:  # credentials file lost: issue fresh ones rather than leave an unusable login
                user.set_password(entry["password"])
                user.save(update_fields=["password"])
                Authenticator.objects.filter(user=user).delete()
            totp_enrol_for_setup(actor=None, user=user, secret=entry["totp_secret"])
            credentials[account.email] = entry
    _save_credentials(credentials)
    return credentials


# ---------------------------------------------------------------------------------------------
# A believable month of cases
# ---------------------------------------------------------------------------------------------

IMPORT_LABEL = "manage.py seed_demo"


@dataclass(frozen=True)
class DemoCaseSet:
    """How many applications an insurer's export shows, and which demo offices get a share.

    ``office_every``: one person in this many (of those with an office on file) is moved to
    each listed demo office, so every demo care manager sees a realistic handful of cases
    whatever the anchor date.
    """

    insurer_number: str
    generated: int
    span_days: int
    seed: int
    demo_offices: tuple[str, ...]
    office_every: int = 45


# 熊本市 (≈740,000 people): ≈600 applications a month, ≈75 days back. Cases the retention job
# would already have erased (decided more than 30 days ago) are left out, as a real database
# would no longer hold them, so ≈1,500 remain. 横浜市 gets a smaller set to keep the demo light.
CASE_SETS = (
    DemoCaseSet("431007", generated=1700, span_days=75, seed=431007, demo_offices=("4370100010", "4370100028")),
    DemoCaseSet("141002", generated=340, span_days=75, seed=141002, demo_offices=("4370100028",), office_every=20),
)


@dataclass(frozen=True)
class DemoImport:
    insurer: Insurer
    anchor: date
    run: ImportRun
    cases_total: int
    per_office: dict[str, int]


def _demo_file_name(insurer_number: str) -> str:
    return f"demo-{insurer_number}.csv"


def demo_anchor(insurer: Insurer, today: date) -> date:
    """The 'as of' day of the demo export: the day of the first demo import into this database.

    Fixed per database, so re-running the demo regenerates the same file (the importer reports
    every row unchanged); a fresh database gets a fresh month.
    """
    first = (
        ImportRun.objects.filter(
            insurer=insurer,
            actor_label=IMPORT_LABEL,
            file_name=_demo_file_name(insurer.number),
            status=ImportRun.Status.SUCCEEDED,
        )
        .order_by("started_at")
        .first()
    )
    return timezone.localtime(first.started_at).date() if first is not None else today


def _with_demo_offices(cases: Iterable[SyntheticCase], spec: DemoCaseSet) -> Iterator[SyntheticCase]:
    """Moves a stable share of people (by a hash of the number: a person keeps one office) to the demo offices."""
    for case in cases:
        if case.office_number:
            slot = zlib.crc32(case.insured_number.encode("ascii")) % spec.office_every
            if slot < len(spec.demo_offices):
                yield dataclasses.replace(case, office_number=spec.demo_offices[slot])
                continue
        yield case


def _still_kept(cases: Iterable[SyntheticCase], insurer: Insurer, today: date) -> Iterator[SyntheticCase]:
    for case in cases:
        last = last_day_kept(
            applied_on=case.applied_on,
            certified_on=case.certified_on,
            closed_on=case.closed_on,
            after_closure=insurer.retention_days_after_closure,
            after_application=insurer.retention_days_after_application,
        )
        if last >= today:
            yield case


def demo_csv(spec: DemoCaseSet, insurer: Insurer, *, anchor: date, today: date) -> bytes:
    """The insurer's export as its (vendor_a-style, CP932, 和暦) system would write it."""
    pool = [
        number
        for number in office_number_pool(spec.insurer_number[:2], seed=spec.seed)
        if number not in spec.demo_offices
    ]
    cases = generate_cases(
        insurer_number=spec.insurer_number,
        count=spec.generated,
        as_of=anchor,
        seed=spec.seed,
        span_days=spec.span_days,
        office_numbers=pool,
    )
    out = io.BytesIO()
    write_csv(
        _still_kept(_with_demo_offices(cases, spec), insurer, today),
        out,
        vendor="vendor_a",
        encoding="cp932",
        date_style="wareki",
    )
    return out.getvalue()


class DemoImportError(Exception):
    """The demo's own file was refused by the importer: a bug in the generator or the importer."""


def seed_cases(*, today: date | None = None) -> list[DemoImport]:
    """Imports each demo insurer's export through the real importer; idempotent for a database.

    Re-running on the same database imports the same file again (all rows unchanged). On a
    later day the same export is offered minus what retention has since erased, so nothing
    that ``purge_expired`` deleted comes back.
    """
    today = today or timezone.localdate()
    done: list[DemoImport] = []
    for spec in CASE_SETS:
        insurer = Insurer.objects.get(number=spec.insurer_number)
        anchor = demo_anchor(insurer, today)
        outcome = cases_import(
            actor=None,
            actor_label=IMPORT_LABEL,
            insurer=insurer,
            data=demo_csv(spec, insurer, anchor=anchor, today=today),
            file_name=_demo_file_name(spec.insurer_number),
            channel=ImportRun.Channel.COMMAND,
            today=today,
        )
        if not outcome.ok:
            shown = "; ".join(str(p) for p in outcome.problems[:5])
            raise DemoImportError(f"{insurer}: デモ用データを取り込めませんでした({outcome.problem_count}件): {shown}")
        per_office = {
            number: Case.objects.filter(insurer=insurer, office_number=number).count() for number in spec.demo_offices
        }
        done.append(
            DemoImport(
                insurer=insurer,
                anchor=anchor,
                run=outcome.run,
                cases_total=Case.objects.filter(insurer=insurer).count(),
                per_office=per_office,
            )
        )
    return done
