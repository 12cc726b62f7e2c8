"""Writes to insurers (tenants). Only platform admins and set-up commands create them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest

from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record
from shinchoku.insurers.models import Insurer
from shinchoku.lib.identifiers import check_insurer_number

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


@transaction.atomic
def insurer_create(*, actor: User | None, number: str, name: str, request: HttpRequest | None = None) -> Insurer:
    checked = check_insurer_number(number)
    insurer = Insurer(number=checked.value, name=name.strip())
    insurer.full_clean()
    insurer.save()
    audit_record(
        event_type=EventType.INSURERS_INSURER_CREATED,
        actor=actor,
        request=request,
        insurer=insurer,
        target=insurer,
        details={
            "number": insurer.number,
            "check_digit_warning": bool(checked.warning),
        },
    )
    return insurer


@transaction.atomic
def insurer_update(
    *,
    actor: User | None,
    insurer: Insurer,
    name: str,
    is_active: bool,
    request: HttpRequest | None = None,
) -> Insurer:
    changed = {
        field: [str(getattr(insurer, field)), str(value)]
        for field, value in (("name", name.strip()), ("is_active", is_active))
        if getattr(insurer, field) != value
    }
    if not changed:
        return insurer
    insurer.name = name.strip()
    insurer.is_active = is_active
    insurer.full_clean()
    insurer.save(update_fields=["name", "is_active"])
    audit_record(
        event_type=EventType.INSURERS_INSURER_UPDATED,
        actor=actor,
        request=request,
        insurer=insurer,
        target=insurer,
        details={"changed": changed},
    )
    return insurer
