"""Audit what Django, allauth and axes do on our behalf.

These receivers only translate library signals into audit events; they hold no business
logic. Each runs inside the library's own request handling, which ``shinchoku.urls`` wraps in
a transaction, so the event commits or rolls back with the change it records.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from allauth.account import signals as account_signals
from allauth.core import context as allauth_context
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from axes.signals import user_locked_out
from django.contrib.auth import signals as auth_signals
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from shinchoku.accounts.middleware import LOGIN_AT, SEEN_AT, TIMED_OUT_FLAG
from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.services import audit_record


def _attempted_login(value: Any) -> str:
    # A password typed into the login field must not land in the trail: keep only e-mail shapes.
    text = str(value or "").strip().lower()
    return text[:254] if "@" in text and " " not in text else "(メールアドレス以外の入力)"


def _known_user(login: str) -> User | None:
    return User.objects.filter(email__iexact=login).select_related("insurer", "office").first()


@receiver(auth_signals.user_logged_in)
def on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[LOGIN_AT] = now
        request.session[SEEN_AT] = now
    audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=user, request=request)


@receiver(auth_signals.user_login_failed)
def on_login_failed(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    login = _attempted_login(credentials.get("email") or credentials.get("username"))
    user = _known_user(login)
    audit_record(
        event_type=EventType.AUTH_LOGIN_FAILED,
        outcome=Outcome.FAILURE,
        actor=user,
        actor_label=login,
        request=request,
        details={"locked": bool(getattr(request, "axes_locked_out", False))},
    )


@receiver(user_locked_out)
def on_locked_out(sender: Any, request: HttpRequest, username: str | None = None, **kwargs: Any) -> None:
    login = _attempted_login(username)
    audit_record(
        event_type=EventType.AUTH_LOCKOUT_TRIGGERED,
        outcome=Outcome.DENIED,
        actor=_known_user(login),
        actor_label=login,
        request=request,
    )


@receiver(auth_signals.user_logged_out)
def on_logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None or getattr(request, TIMED_OUT_FLAG, False):
        return  # the timeout itself was audited
    audit_record(event_type=EventType.AUTH_LOGOUT_SUCCEEDED, actor=user, request=request)


@receiver(account_signals.password_changed)
def on_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    audit_record(
        event_type=EventType.AUTH_PASSWORD_CHANGED,
        actor=user,
        request=request,
        target=user,
    )


@receiver(account_signals.password_reset)
def on_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    audit_record(
        event_type=EventType.AUTH_PASSWORD_RESET,
        actor=user,
        request=request,
        target=user,
    )


def _authenticator_details(authenticator: Authenticator) -> dict[str, Any]:
    return {"type": str(authenticator.type)}


# Set while an admin removes someone's authenticators (accounts.services.second_factor_reset),
# so that each removal is recorded as the admin's act rather than the owner's.
_removed_by: ContextVar[tuple[User, HttpRequest | None] | None] = ContextVar("removed_by", default=None)


@contextmanager
def authenticators_removed_by(actor: User, request: HttpRequest | None) -> Iterator[None]:
    token = _removed_by.set((actor, request))
    try:
        yield
    finally:
        _removed_by.reset(token)


@receiver(post_save, sender=Authenticator)
def on_authenticator_saved(sender: Any, instance: Authenticator, created: bool, **kwargs: Any) -> None:
    # A model signal rather than allauth's authenticator_added, which allauth sends only after
    # the commit: this way the audit row is part of the transaction that adds the factor.
    if not created:
        return
    audit_record(
        event_type=EventType.MFA_AUTHENTICATOR_ADDED,
        actor=instance.user,
        request=allauth_context.request,
        target=instance,
        details=_authenticator_details(instance),
    )


@receiver(post_delete, sender=Authenticator)
def on_authenticator_deleted(sender: Any, instance: Authenticator, **kwargs: Any) -> None:
    owner = instance.user
    by_admin = _removed_by.get()
    actor, request = by_admin if by_admin is not None else (owner, allauth_context.request)
    audit_record(
        event_type=EventType.MFA_AUTHENTICATOR_REMOVED,
        actor=actor,
        request=request,
        insurer=owner.insurer,
        office=owner.office,
        target_type="mfa.authenticator",
        target_id=str(instance.pk or ""),
        details={**_authenticator_details(instance), **({"owner": owner.pk} if by_admin is not None else {})},
    )


@receiver(mfa_signals.authenticator_used)
def on_authenticator_used(
    sender: Any,
    request: HttpRequest,
    user: User,
    authenticator: Authenticator,
    **kwargs: Any,
) -> None:
    audit_record(
        event_type=EventType.AUTH_MFA_USED,
        actor=user,
        request=request,
        target=authenticator,
        details={
            **_authenticator_details(authenticator),
            "reauthenticated": bool(kwargs.get("reauthenticated")),
        },
    )


@receiver(mfa_signals.authentication_failed)
def on_mfa_failed(
    sender: Any,
    request: HttpRequest,
    user: User,
    authenticator: Authenticator | None = None,
    **kwargs: Any,
) -> None:
    audit_record(
        event_type=EventType.AUTH_MFA_FAILED,
        outcome=Outcome.FAILURE,
        actor=user,
        request=request,
        details=_authenticator_details(authenticator) if authenticator is not None else {},
    )
