"""One enum of permissions, ``<scope>:<subject>:<verb>``, kept alphabetised.

Roles map to permissions in ``accounts.roles``; views ask for a permission, never for a role.
A permission says what kind of thing an actor may do; *which* objects is decided by the
tenant-scoped selectors (an object outside the actor's tenant is simply not found).
"""

from __future__ import annotations

import enum


class Permission(enum.StrEnum):
    ACCOUNTS_INSURER_STAFF_MANAGE = "accounts:insurer_staff:manage"
    ACCOUNTS_OFFICE_STAFF_MANAGE = "accounts:office_staff:manage"
    API_CLIENT_MANAGE = "api:client:manage"
    AUDIT_TRAIL_READ = "audit:trail:read"
    AUDIT_TRAIL_VERIFY = "audit:trail:verify"
    CASES_CASE_CORRECT = "cases:case:correct"
    CASES_CASE_READ = "cases:case:read"
    CASES_ERASURE_READ = "cases:erasure:read"
    CASES_IMPORT_RUN = "cases:import:run"
    CASES_IMPORT_HISTORY_READ = "cases:import_history:read"
    CHECKLISTS_CHECKLIST_ANSWER = "checklists:checklist:answer"
    CHECKLISTS_POLICY_MANAGE = "checklists:policy:manage"
    CHECKLISTS_STATUS_READ = "checklists:status:read"
    INSURERS_INSURER_MANAGE = "insurers:insurer:manage"
    INSURERS_POLICY_MANAGE = "insurers:policy:manage"
    LOOKUP_ALERT_REVIEW = "lookup:alert:review"
    LOOKUP_CASE_LOOKUP = "lookup:case:lookup"
    OFFICES_APPLICATION_SUBMIT = "offices:application:submit"
    OFFICES_APPROVAL_DECIDE = "offices:approval:decide"
    OFFICES_OFFICE_READ = "offices:office:read"
    OFFICES_PROOF_READ = "offices:proof:read"
    OPS_HEALTH_READ = "ops:health:read"
