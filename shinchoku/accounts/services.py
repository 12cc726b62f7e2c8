"""Writes to accounts. Each takes the acting user, runs in a transaction and audits itself."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.usersessions.models import UserSession
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from shinchoku.accounts.invitations import invitation_revoke
from shinchoku.accounts.models import User
from shinchoku.accounts.roles import INSURER_ROLES, OFFICE_ROLES, Role
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.services import audit_record
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import CareOffice


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
        raise ValidationError(gettext("このメールアドレスは既に登録されています。"))
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
def totp_enrol_for_setup(*, actor: User | None, user: User, secret: str) -> None:
    """Gives a set-up account (demo, first platform admin) its TOTP without the browser flow."""
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return
    # Each new authenticator row is audited by accounts.receivers, in this transaction.
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
