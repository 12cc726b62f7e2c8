"""Writes to insurers (tenants). Only platform admins and set-up commands create them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from shinchoku.accounts.permissions import Permission
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import staff_invite
from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record
from shinchoku.insurers.models import (
    RETENTION_AFTER_APPLICATION_BOUNDS,
    RETENTION_AFTER_CLOSURE_BOUNDS,
    Insurer,
)
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
def insurer_onboard(
    *,
    actor: User,
    number: str,
    name: str,
    admin_display_name: str,
    admin_email: str,
    request: HttpRequest | None = None,
) -> tuple[Insurer, User]:
    """A platform admin adds an insurer and invites its first admin, in one transaction: an
    insurer nobody can manage is never left behind, nor an admin of no insurer. The admin sets
    their own password from the invitation and then invites the insurer's staff.

    Errors are ``ValidationError``s keyed by this function's argument names."""
    if not actor.can(Permission.INSURERS_INSURER_MANAGE):
        raise PermissionDenied
    insurer = insurer_create(actor=actor, number=number, name=name, request=request)
    try:
        admin = staff_invite(
            actor=actor,
            email=admin_email,
            display_name=admin_display_name,
            role=Role.INSURER_ADMIN,
            insurer=insurer,
            request=request,
        )
    except ValidationError as exc:
        raise ValidationError(
            {f"admin_{name}": errors for name, errors in exc.error_dict.items()} if hasattr(exc, "error_dict") else exc
        ) from exc
    return insurer, admin


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


def _check_days(errors: dict[str, str], field: str, label: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    # bool is an int subclass; True days is a programming error, not a policy.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = f"{label}は{low}日から{high}日までの整数で指定してください。"


@transaction.atomic
def insurer_set_retention(
    *,
    actor: User | None,
    insurer: Insurer,
    after_closure: int,
    after_application: int,
    care_level_enabled: bool,
    request: HttpRequest | None = None,
) -> Insurer:
    """Sets the insurer's retention periods (DESIGN §3, T9) and whether it keeps 要介護度.

    The bounds keep a mistyped value from either erasing cases still in use or keeping them for
    years; a value outside them raises ``ValidationError`` (Japanese, per field) and changes
    nothing. A shorter period takes effect at the next run of ``purge_expired``.
    """
    errors: dict[str, str] = {}
    _check_days(
        errors,
        "retention_days_after_closure",
        "決定・取下げ後の保存日数",
        after_closure,
        RETENTION_AFTER_CLOSURE_BOUNDS,
    )
    _check_days(
        errors,
        "retention_days_after_application",
        "申請日からの最長保存日数",
        after_application,
        RETENTION_AFTER_APPLICATION_BOUNDS,
    )
    if errors:
        raise ValidationError(errors)
    wanted: dict[str, int | bool] = {
        "retention_days_after_closure": after_closure,
        "retention_days_after_application": after_application,
        "care_level_enabled": care_level_enabled,
    }
    changed = {
        field: [getattr(insurer, field), value] for field, value in wanted.items() if getattr(insurer, field) != value
    }
    if not changed:
        return insurer
    for field, value in wanted.items():
        setattr(insurer, field, value)
    insurer.full_clean()  # the model's own validators hold the same bounds
    insurer.save(update_fields=list(changed))
    audit_record(
        event_type=EventType.INSURERS_INSURER_UPDATED,
        actor=actor,
        request=request,
        insurer=insurer,
        target=insurer,
        details={"changed": changed},
    )
    return insurer
