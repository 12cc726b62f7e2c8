"""Synthetic demo tenants and one account per role. Never used outside development."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.conf import settings
from django.db import transaction

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import totp_enrol_for_setup, user_create
from shinchoku.insurers.models import Insurer
from shinchoku.insurers.services import insurer_create
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


@transaction.atomic
def seed() -> dict[str, dict[str, str]]:
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
