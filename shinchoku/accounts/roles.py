"""Roles of DESIGN §2 and the permissions each one holds. The only place that maps the two."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shinchoku.accounts.permissions import Permission


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("基盤管理者")
    INSURER_ADMIN = "insurer_admin", _("保険者管理者")
    INSURER_STAFF = "insurer_staff", _("認定係職員")
    AUDITOR = "auditor", _("監査担当")
    OPERATOR = "operator", _("運用委託事業者")
    OFFICE_ADMIN = "office_admin", _("事業所管理者")
    CARE_MANAGER = "care_manager", _("ケアマネジャー")


INSURER_ROLES = frozenset({Role.INSURER_ADMIN, Role.INSURER_STAFF, Role.AUDITOR, Role.OPERATOR})
OFFICE_ROLES = frozenset({Role.OFFICE_ADMIN, Role.CARE_MANAGER})

P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PLATFORM_ADMIN: frozenset({P.INSURERS_INSURER_MANAGE}),
    Role.INSURER_ADMIN: frozenset(
        {
            P.ACCOUNTS_INSURER_STAFF_MANAGE,
            P.API_CLIENT_MANAGE,
            P.AUDIT_TRAIL_READ,
            P.CASES_ERASURE_READ,
            P.CASES_IMPORT_HISTORY_READ,
            P.CHECKLISTS_POLICY_MANAGE,
            P.CHECKLISTS_STATUS_READ,
            P.INSURERS_POLICY_MANAGE,
            P.LOOKUP_ALERT_REVIEW,
            P.OFFICES_APPROVAL_DECIDE,
            P.OFFICES_OFFICE_READ,
            P.OFFICES_PROOF_READ,
        }
    ),
    Role.INSURER_STAFF: frozenset(
        {
            P.CASES_CASE_CORRECT,
            P.CASES_CASE_READ,
            P.CASES_IMPORT_HISTORY_READ,
            P.CASES_IMPORT_RUN,
            P.OFFICES_OFFICE_READ,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            P.AUDIT_TRAIL_READ,
            P.AUDIT_TRAIL_VERIFY,
            P.CASES_ERASURE_READ,
            P.CHECKLISTS_STATUS_READ,
            P.LOOKUP_ALERT_REVIEW,
        }
    ),
    # The vendor (seed 002): health, counts and import history, never identifiers or case contents.
    Role.OPERATOR: frozenset({P.CASES_IMPORT_HISTORY_READ, P.OPS_HEALTH_READ}),
    Role.OFFICE_ADMIN: frozenset(
        {
            P.ACCOUNTS_OFFICE_STAFF_MANAGE,
            P.CHECKLISTS_CHECKLIST_ANSWER,
            P.LOOKUP_CASE_LOOKUP,
            P.OFFICES_APPLICATION_SUBMIT,
        }
    ),
    Role.CARE_MANAGER: frozenset({P.LOOKUP_CASE_LOOKUP}),
}


def permissions_for(role: str) -> frozenset[Permission]:
    return ROLE_PERMISSIONS.get(Role(role), frozenset())
