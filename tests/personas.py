"""The cast of every test: two insurers, two offices, one person per role, and an outsider.

Insurer A (熊本市) approves office A; insurer B (横浜市) approves office B. The outsider is a
care manager of an office that no insurer approved. Names read well in failure messages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache

from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.contrib.auth.hashers import make_password
from django.test import Client

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import totp_enrol_for_setup, user_create
from shinchoku.insurers.models import Insurer
from shinchoku.insurers.services import insurer_create
from shinchoku.offices.models import ApprovalStatus, CareOffice, OfficeApproval, OfficeKind
from shinchoku.offices.services import approval_set_status, office_create

PASSWORD = "correct horse battery staple 熊本"


@cache
def password_hash() -> str:
    # Argon2id at production cost takes ~0.1 s; hash the shared test password once per run.
    return make_password(PASSWORD)


@dataclass
class Cast:
    insurer_a: Insurer
    insurer_b: Insurer
    office_a: CareOffice
    office_b: CareOffice
    office_unapproved: CareOffice
    approval_a: OfficeApproval
    approval_b: OfficeApproval
    platform_admin: User
    a_admin: User
    a_staff: User
    a_auditor: User
    a_operator: User
    b_admin: User
    b_staff: User
    b_auditor: User
    b_operator: User
    office_a_admin: User
    office_a_cm: User
    office_b_admin: User
    office_b_cm: User
    outsider: User
    totp_secrets: dict[str, str]

    def everyone(self) -> dict[str, User]:
        return {name: value for name, value in vars(self).items() if isinstance(value, User)}


def make_user(
    email: str,
    role: Role,
    *,
    insurer: Insurer | None = None,
    office: CareOffice | None = None,
    second_factor: bool = True,
    secrets: dict[str, str] | None = None,
) -> User:
    user = user_create(
        actor=None, email=email, display_name=email.split("@", maxsplit=1)[0], role=role, insurer=insurer, office=office
    )
    user.password = password_hash()
    user.save(update_fields=["password"])
    if second_factor:
        secret = generate_totp_secret()
        totp_enrol_for_setup(actor=None, user=user, secret=secret)
        if secrets is not None:
            secrets[user.email] = secret
    return user


def build_cast() -> Cast:
    insurer_a = insurer_create(actor=None, number="431007", name="熊本市")
    insurer_b = insurer_create(actor=None, number="141002", name="横浜市")
    office_a = office_create(
        actor=None, number="4370100010", name="みどり居宅介護支援事業所", kind=OfficeKind.HOME_CARE_SUPPORT
    )
    office_b = office_create(
        actor=None, number="1470100015", name="みなと居宅介護支援事業所", kind=OfficeKind.HOME_CARE_SUPPORT
    )
    office_unapproved = office_create(
        actor=None, number="4370100036", name="未承認居宅介護支援事業所", kind=OfficeKind.HOME_CARE_SUPPORT
    )
    approval_a = approval_set_status(actor=None, insurer=insurer_a, office=office_a, status=ApprovalStatus.APPROVED)
    approval_b = approval_set_status(actor=None, insurer=insurer_b, office=office_b, status=ApprovalStatus.APPROVED)
    secrets: dict[str, str] = {}

    def person(email: str, role: Role, **tenant: Insurer | CareOffice) -> User:
        return make_user(f"{email}@test.example", role, secrets=secrets, **tenant)  # type: ignore[arg-type]

    return Cast(
        insurer_a=insurer_a,
        insurer_b=insurer_b,
        office_a=office_a,
        office_b=office_b,
        office_unapproved=office_unapproved,
        approval_a=approval_a,
        approval_b=approval_b,
        platform_admin=person("platform-admin", Role.PLATFORM_ADMIN),
        a_admin=person("a-admin", Role.INSURER_ADMIN, insurer=insurer_a),
        a_staff=person("a-staff", Role.INSURER_STAFF, insurer=insurer_a),
        a_auditor=person("a-auditor", Role.AUDITOR, insurer=insurer_a),
        a_operator=person("a-operator", Role.OPERATOR, insurer=insurer_a),
        b_admin=person("b-admin", Role.INSURER_ADMIN, insurer=insurer_b),
        b_staff=person("b-staff", Role.INSURER_STAFF, insurer=insurer_b),
        b_auditor=person("b-auditor", Role.AUDITOR, insurer=insurer_b),
        b_operator=person("b-operator", Role.OPERATOR, insurer=insurer_b),
        office_a_admin=person("office-a-admin", Role.OFFICE_ADMIN, office=office_a),
        office_a_cm=person("office-a-cm", Role.CARE_MANAGER, office=office_a),
        office_b_admin=person("office-b-admin", Role.OFFICE_ADMIN, office=office_b),
        office_b_cm=person("office-b-cm", Role.CARE_MANAGER, office=office_b),
        outsider=person("outsider", Role.CARE_MANAGER, office=office_unapproved),
        totp_secrets=secrets,
    )


# The session allauth keeps after a password re-authentication (allauth.account.internal.flows.login).
_AUTH_RECORDS = "account_authentication_methods"
_AUTH_RECORDS_USER = "account_authentication_methods_user"


def signed_in_recently(user: User) -> Client:
    """A client signed in as ``user`` who has just re-entered the password, so allauth's
    "confirm your password" step does not stand in front of sensitive pages."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[_AUTH_RECORDS] = [{"method": "password", "at": time.time(), "reauthenticated": True}]
    session[_AUTH_RECORDS_USER] = str(user.pk)
    session.save()
    return client
