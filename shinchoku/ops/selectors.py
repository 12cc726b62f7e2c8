from __future__ import annotations

from django.db import connection
from django.db.models import Count

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.audit.models import AuditEvent


def counts_for_operator(actor: User) -> dict[str, object]:
    """Aggregates for the operator's own insurer only; nothing that names a person."""
    if actor.insurer_id is None:
        return {}
    users = User.objects.filter(insurer_id=actor.insurer_id)
    by_role = dict(users.filter(is_active=True).values_list("role").annotate(n=Count("id")).values_list("role", "n"))
    return {
        "database": connection.vendor,
        "active_users": users.filter(is_active=True).count(),
        "disabled_users": users.filter(is_active=False).count(),
        "users_by_role": [(Role(role).label, count) for role, count in sorted(by_role.items())],
        "audit_events": AuditEvent.objects.filter(insurer_id=actor.insurer_id).count(),
    }
