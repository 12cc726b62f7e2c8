"""Writes to accounts. Each takes the acting user, runs in a transaction and audits itself."""

from __future__ import annotations

from functools import partial

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from shinchoku.accounts import receivers
from shinchoku.accounts.invitations import invitation_issue, invitation_revoke
from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission
from shinchoku.accounts.roles import INSURER_ROLES, OFFICE_ROLES, Role
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.services import audit_record
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import CareOffice
from shinchoku.web.mail import render_message, send_or_log

SECOND_FACTOR_RESET_TEMPLATE = "accounts/email/second_factor_reset"
REASON_MAX_LENGTH = 200


def _end_sessions(user: User, *, keep_session_key: str | None = None) -> int:
    """Deletes the user's server-side sessions (all, or all but one); returns how many ended."""
    ended = 0
    for user_session in UserSession.objects.filter(user=user):
        if keep_session_key is not None and user_session.session_key == keep_session_key:
            continue
        user_session.end()
        ended += 1
    return ended


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    display_name: str,
    role: Role,
    insurer: Insurer | None = None,
    office: CareOffice | None = None,
    password: str | None = None,
    request: HttpRequest | None = None,
) -> User:
    """Creates a personal account in exactly one tenant (``actor`` None only for set-up commands)."""
    if role in INSURER_ROLES and (insurer is None or office is not None):
        raise ValidationError(gettext("保険者の利用者には所属保険者が必要です。"))
    if role in OFFICE_ROLES and (office is None or insurer is not None):
        raise ValidationError(gettext("事業所の利用者には所属事業所が必要です。"))
    if role == Role.PLATFORM_ADMIN and (insurer is not None or office is not None):
        raise ValidationError(gettext("基盤管理者はどの保険者・事業所にも所属しません。"))
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(gettext("このメールアドレスは既に登録されています。"), code="duplicate_email")
    user = User(
        email=email,
        display_name=display_name,
        role=role,
        insurer=insurer,
        office=office,
    )
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)
        user.set_password(password)
    user.full_clean()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    audit_record(
        event_type=EventType.ACCOUNTS_USER_CREATED,
        actor=actor,
        request=request,
        insurer=insurer,
        office=office,
        target=user,
        details={"role": str(role)},
    )
    return user


@transaction.atomic
def user_disable(
    *,
    actor: User | None,
    user: User,
    reason: str,
    request: HttpRequest | None = None,
    actor_label: str = "",
) -> User:
    """Disables the account and ends every one of its sessions at once (leavers, T3).

    ``actor`` is None when a job disables it (``actor_label`` then names the job)."""
    if not user.is_active:
        return user
    user.is_active = False
    user.disabled_at = timezone.now()
    user.disabled_reason = reason[:200]
    user.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    ended = _end_sessions(user)
    # Re-enabling must not bring an old link back to life: the admin sends a new one then.
    invitation_revoke(actor=actor, user=user, reason="disabled", request=request, actor_label=actor_label)
    audit_record(
        event_type=EventType.ACCOUNTS_USER_DISABLED,
        actor=actor,
        request=request,
        insurer=user.insurer,
        office=user.office,
        target=user,
        details={"reason": reason[:200], "sessions_ended": ended},
        actor_label=actor_label,
    )
    return user


@transaction.atomic
def user_enable(*, actor: User | None, user: User, request: HttpRequest | None = None) -> User:
    """Re-enables the account. Counts as fresh activity and drops any dormancy warning, so a
    long-unused account is not disabled again by the next ``disable_dormant`` run."""
    if user.is_active:
        return user
    user.is_active = True
    user.disabled_at = None
    user.disabled_reason = ""
    user.reactivated_at = timezone.now()
    user.dormant_warned_at = None
    user.save(update_fields=["is_active", "disabled_at", "disabled_reason", "reactivated_at", "dormant_warned_at"])
    audit_record(
        event_type=EventType.ACCOUNTS_USER_ENABLED,
        actor=actor,
        request=request,
        insurer=user.insurer,
        office=user.office,
        target=user,
    )
    return user


@transaction.atomic
def sessions_end_others(*, actor: User, request: HttpRequest) -> int:
    """Signs the actor out everywhere but this browser."""
    ended = _end_sessions(actor, keep_session_key=request.session.session_key)
    audit_record(
        event_type=EventType.AUTH_SESSION_ENDED,
        actor=actor,
        request=request,
        target=actor,
        outcome=Outcome.SUCCESS,
        details={"sessions_ended": ended, "scope": "others"},
    )
    return ended


@transaction.atomic
def totp_replace(*, actor: User, secret: str) -> None:
    """Swaps the actor's authenticator app for a new one in one step (a lost or new phone), so
    the account is never without one. The caller has checked a code made from ``secret``.
    The removal and the addition are each audited by accounts.receivers; recovery codes stay."""
    for old in Authenticator.objects.select_for_update().filter(user=actor, type=Authenticator.Type.TOTP):
        old.delete()
    TOTP.activate(actor, secret)


@transaction.atomic
def totp_enrol_for_setup(*, actor: User | None, user: User, secret: str) -> None:
    """Gives a set-up account (demo, first platform admin) its TOTP without the browser flow."""
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return
    # Each new authenticator row is audited by accounts.receivers, in this transaction.
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)


def invitable_roles(actor: User) -> list[Role]:
    """The roles the actor may invite someone to, in the order a form offers them.

    Office admins invite care managers. Insurer admins invite their insurer's staff, auditors,
    operators, and other insurer admins: an insurer needs a deputy for holidays and handovers,
    and otherwise only the platform operator could add one. Platform admins invite insurer
    admins only (``insurers`` asks which insurer)."""
    if actor.can(Permission.ACCOUNTS_INSURER_STAFF_MANAGE) and actor.insurer_id is not None:
        return [Role.INSURER_STAFF, Role.AUDITOR, Role.OPERATOR, Role.INSURER_ADMIN]
    if actor.can(Permission.ACCOUNTS_OFFICE_STAFF_MANAGE) and actor.office_id is not None:
        return [Role.CARE_MANAGER]
    if actor.can(Permission.INSURERS_INSURER_MANAGE):
        return [Role.INSURER_ADMIN]
    return []


@transaction.atomic
def staff_invite(
    *,
    actor: User,
    email: str,
    display_name: str,
    role: Role,
    insurer: Insurer | None = None,
    request: HttpRequest | None = None,
) -> User:
    """Creates an account in the actor's own tenant, without a password, and invites the
    person by e-mail to set one (``accounts.invitations``). Nobody chooses another's password.

    Office admins add care managers to their office; insurer admins add staff, auditors,
    operators and admins to their insurer; platform admins add admins to ``insurer``. A role or
    tenant outside that is refused (the views offer no other); an address already registered
    is a ``ValidationError`` on ``email``, and then nothing is written."""
    if role not in invitable_roles(actor):
        raise PermissionDenied
    office = None
    if actor.can(Permission.ACCOUNTS_OFFICE_STAFF_MANAGE):
        office, insurer = actor.office, None
    elif actor.can(Permission.ACCOUNTS_INSURER_STAFF_MANAGE):
        insurer = actor.insurer
    elif insurer is None:
        raise PermissionDenied
    display_name = display_name.strip()
    if not display_name:
        raise ValidationError({"display_name": gettext("氏名を入力してください。")})
    try:
        user = user_create(
            actor=actor,
            email=email,
            display_name=display_name,
            role=role,
            insurer=insurer,
            office=office,
            password=None,
            request=request,
        )
    except ValidationError as exc:
        if exc.code == "duplicate_email":
            raise ValidationError({"email": exc}) from exc
        raise
    invitation_issue(actor=actor, user=user, request=request)
    return user


@transaction.atomic
def second_factor_reset(*, actor: User, user: User, reason: str, request: HttpRequest | None = None) -> int:
    """Removes every authenticator of ``user`` — authenticator apps, passkeys, recovery codes —
    when the person has lost theirs and has no recovery code left, ends all their sessions, and
    tells them by e-mail (after commit) who did it and why. At the next sign-in the password is
    enough, and the second-factor middleware then allows nothing but enrolling a new one.

    ``user`` must be one the actor manages (the views find it through
    ``selectors.user_for_actor``); nobody resets their own this way: they have recovery codes.
    Returns how many authenticators were removed."""
    if user.pk == actor.pk:
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": gettext("リセットの理由を入力してください。")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": gettext("理由は%(n)d文字以内で書いてください。") % {"n": REASON_MAX_LENGTH}})
    authenticators = list(Authenticator.objects.filter(user=user).order_by("pk"))
    if not authenticators:
        raise ValidationError(gettext("この職員は二要素認証をまだ設定していないため、リセットするものがありません。"))
    removed = sorted({str(a.type) for a in authenticators})
    # Each removal is audited by accounts.receivers; this attributes it to the admin.
    with receivers.authenticators_removed_by(actor, request):
        for authenticator in authenticators:
            authenticator.delete()
    ended = _end_sessions(user)
    audit_record(
        event_type=EventType.ACCOUNTS_SECOND_FACTOR_RESET,
        actor=actor,
        request=request,
        insurer=user.insurer,
        office=user.office,
        target=user,
        details={"reason": reason, "removed": removed, "sessions_ended": ended},
    )
    message = render_message(
        SECOND_FACTOR_RESET_TEMPLATE,
        {
            "name": user.display_name,
            "email": user.email,
            "admin": actor.display_name,
            "admin_tenant": actor.tenant_name or Role(actor.role).label,
            "reason": reason,
            "url": settings.BASE_URL + reverse("account_login"),
            "service_name": settings.SERVICE_NAME,
        },
        [user.email],
    )
    transaction.on_commit(partial(send_or_log, [message], "second-factor reset notice"))
    return len(authenticators)
