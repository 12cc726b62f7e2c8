"""Writes to insurers (tenants), their pledge and their e-mail wordings. Only platform admins and
set-up commands create insurers; their admins keep the pledge and the wordings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from shinchoku.accounts.permissions import Permission
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import staff_invite
from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record
from shinchoku.insurers import texts
from shinchoku.insurers.models import (
    RETENTION_AFTER_APPLICATION_BOUNDS,
    RETENTION_AFTER_CLOSURE_BOUNDS,
    Insurer,
    MailText,
    Pledge,
)
from shinchoku.insurers.selectors import pledge_current, pledge_digest
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


PLEDGE_MAX_LENGTH = 20_000


def _pledge_next(insurer: Insurer) -> int:
    last = Pledge.objects.filter(insurer=insurer).order_by("-version").values_list("version", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def pledge_create(*, actor: User, insurer: Insurer, text: str, request: HttpRequest | None = None) -> Pledge:
    """Adds a new version of the insurer's pledge; versions already accepted stay as they were.

    Refuses (``ValidationError`` on "text") an empty text, one over 20,000 characters and one
    identical to the current pledge (the default included): a new version is a new text.
    """
    # One writer at a time per insurer, so two admins saving at once get versions n and n+1.
    Insurer.objects.select_for_update().filter(pk=insurer.pk).first()
    text = texts.normalise(text).strip() + "\n"
    if not text.strip():
        raise ValidationError({"text": gettext("誓約・同意事項の本文を入力してください。")})
    if len(text) > PLEDGE_MAX_LENGTH:
        raise ValidationError(
            {"text": gettext("誓約・同意事項は%(n)d文字以内にしてください。") % {"n": PLEDGE_MAX_LENGTH}}
        )
    if text == pledge_current(insurer).text:
        raise ValidationError({"text": gettext("いまの誓約・同意事項と同じ内容です。変更してから保存してください。")})
    pledge = Pledge.objects.create(insurer=insurer, version=_pledge_next(insurer), text=text, created_by=actor)
    _audit_pledge(actor=actor, pledge=pledge, request=request, default=False)
    return pledge


def _audit_pledge(*, actor: User | None, pledge: Pledge, request: HttpRequest | None, default: bool) -> None:
    audit_record(
        event_type=EventType.INSURERS_PLEDGE_CREATED,
        actor=actor,
        request=request,
        insurer=pledge.insurer,
        target=pledge,
        details={
            "version": pledge.version,
            "sha256": pledge_digest(pledge.text),
            "length": len(pledge.text),
            "default": default,
        },
    )


@transaction.atomic
def pledge_for_acceptance(*, actor: User, insurer: Insurer, digest: str, request: HttpRequest | None = None) -> Pledge:
    """The version an office accepts now, provided it is the text the person was shown.

    ``digest`` names that text (``PledgeText.digest``); if the insurer published a new version
    since the page was opened, a ``ValidationError`` (code "pledge_changed") asks to read the
    new one. An insurer still on the default text gets it saved as version 1 here, so every
    acceptance points at a stored version.
    """
    Insurer.objects.select_for_update().filter(pk=insurer.pk).first()
    current = pledge_current(insurer)
    if current.digest != digest:
        raise ValidationError(
            gettext(
                "%(insurer)sの誓約・同意事項が、この画面を開いた後に改められました。新しい内容を読んで、もう一度同意してください。"
            ),
            code="pledge_changed",
            params={"insurer": insurer.name},
        )
    if current.pledge is not None:
        return current.pledge
    pledge = Pledge.objects.create(insurer=insurer, version=1, text=current.text, created_by=None)
    _audit_pledge(actor=actor, pledge=pledge, request=request, default=True)
    return pledge


@transaction.atomic
def mail_text_save(
    *,
    actor: User,
    insurer: Insurer,
    kind: texts.MailKind,
    subject: str,
    body: str,
    request: HttpRequest | None = None,
) -> MailText | None:
    """Saves the insurer's wording of one e-mail; None when it is the wording in use already.

    The wording must meet ``texts.check`` (``ValidationError`` per field otherwise). The audit
    event keeps the whole new text, so what offices were sent can be told from the trail.
    """
    subject = texts.normalise(subject).strip()
    body = texts.normalise(body).strip("\n") + "\n"
    texts.check(kind, subject, body)
    current = MailText.objects.select_for_update().filter(insurer=insurer, kind=kind).first()
    before = (current.subject, current.body) if current is not None else texts.default_wording(kind)
    if (before[0], before[1].strip()) == (subject, body.strip()):
        return None
    if current is None:
        current = MailText(insurer=insurer, kind=kind, version=0)
    current.subject = subject
    current.body = body
    current.version += 1
    current.updated_by = actor
    current.updated_at = timezone.now()
    current.full_clean()
    current.save()
    audit_record(
        event_type=EventType.INSURERS_MAIL_TEXT_CHANGED,
        actor=actor,
        request=request,
        insurer=insurer,
        target=current,
        details={"kind": str(kind), "version": current.version, "subject": subject, "body": body},
    )
    return current


@transaction.atomic
def mail_text_reset(*, actor: User, insurer: Insurer, kind: texts.MailKind, request: HttpRequest | None = None) -> bool:
    """Goes back to the service's default wording; False if the insurer had none of its own."""
    current = MailText.objects.select_for_update().filter(insurer=insurer, kind=kind).first()
    if current is None:
        return False
    version = current.version
    current.delete()
    audit_record(
        event_type=EventType.INSURERS_MAIL_TEXT_CHANGED,
        actor=actor,
        request=request,
        insurer=insurer,
        target_type="insurers.mailtext",
        target_id=str(kind),
        details={"kind": str(kind), "reset_to_default": True, "replaced_version": version},
    )
    return True
