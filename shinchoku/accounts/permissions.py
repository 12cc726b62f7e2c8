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
    AUDIT_TRAIL_READ = "audit:trail:read"
    AUDIT_TRAIL_VERIFY = "audit:trail:verify"
    INSURERS_INSURER_MANAGE = "insurers:insurer:manage"
    OFFICES_APPROVAL_DECIDE = "offices:approval:decide"
    OFFICES_OFFICE_READ = "offices:office:read"
    OPS_HEALTH_READ = "ops:health:read"
