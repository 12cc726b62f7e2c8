"""Invitations: a single-use, expiring link through which a person sets their own password.

Nobody chooses another person's password (DESIGN T4): an admin creates the account without a
usable one (``accounts.services.user_create(password=None)``) and ``invitation_issue`` mails the
person a link. Opening it shows whose account it is; setting a password there uses the link up,
signs the person in, and the second-factor middleware takes them on to enrol one.

Only a SHA-256 hash of the token is stored, so a copy of the database opens no account; looking
a token up is one indexed query whatever the token, so an unknown, expired, used or revoked link
all cost the same and get the same page. A new invitation revokes the person's earlier open
ones, so at most one link works at any time.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from shinchoku.accounts.models import Invitation, User
from shinchoku.accounts.roles import Role
from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record
from shinchoku.web.mail import render_message, send_or_log

TEMPLATE = "accounts/email/invitation"
# 256 bits: guessing a live link is out of the question, so the page needs no rate limit.
TOKEN_BYTES = 32


class InvitationUnusable(Exception):
    """The link is unknown, expired, used up, revoked, or its account is disabled."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_url(token: str) -> str:
    return settings.BASE_URL + reverse("accounts:invitation_accept", kwargs={"token": token})


def _revoke_open(
    *, actor: User | None, user: User, reason: str, request: HttpRequest | None, actor_label: str = ""
) -> int:
    """Revokes the user's open invitations, each audited; returns how many there were."""
    revoked = 0
    now = timezone.now()
    for invitation in Invitation.objects.select_for_update().filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ):
        invitation.revoked_at = now
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            event_type=EventType.ACCOUNTS_INVITATION_REVOKED,
            actor=actor,
            request=request,
            insurer=user.insurer,
            office=user.office,
            target=user,
            details={"invitation": invitation.pk, "reason": reason},
            actor_label=actor_label,
        )
        revoked += 1
    return revoked


@transaction.atomic
def invitation_issue(*, actor: User | None, user: User, request: HttpRequest | None = None) -> Invitation:
    """Issues a single-use, expiring link for ``user`` (an account without a usable password,
    e.g. just created by ``accounts.services.user_create(password=None)``) to set their own
    password; any earlier open invitation of that user is revoked; audits
    ``accounts:invitation:issued`` (no token in the audit details); e-mails the link to
    ``user.email`` after commit. Runs in the caller's transaction.

    The returned invitation carries the token in ``token`` (never stored)."""
    if not user.is_active:
        raise ValidationError(
            gettext("無効になっているアカウントには招待を送れません。先に再び有効にしてください。"), code="disabled"
        )
    if user.has_usable_password():
        # Someone who has set a password resets it themselves (their second factor stays).
        raise ValidationError(
            gettext("この職員はすでにパスワードを設定済みのため、招待は送れません。"), code="password_set"
        )
    # Lock the account so that two invitations issued at once cannot both stay open.
    User.objects.select_for_update().filter(pk=user.pk).first()
    _revoke_open(actor=actor, user=user, reason="reissued", request=request)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation.objects.create(
        user=user,
        token_hash=_hash(token),
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.ACCOUNTS_INVITATION_DAYS),
    )
    audit_record(
        event_type=EventType.ACCOUNTS_INVITATION_ISSUED,
        actor=actor,
        request=request,
        insurer=user.insurer,
        office=user.office,
        target=user,
        details={"invitation": invitation.pk, "expires_at": invitation.expires_at.isoformat()},
    )
    # Rendered now, so that a broken template rolls the invitation back; sent once it stands.
    message = _invitation_message(invitation, token=token, actor=actor)
    transaction.on_commit(partial(send_or_log, [message], "invitation"))
    invitation.token = token
    return invitation


@transaction.atomic
def invitation_revoke(
    *,
    actor: User | None,
    user: User,
    reason: str = "cancelled",
    request: HttpRequest | None = None,
    actor_label: str = "",
) -> int:
    """Revokes the user's open invitation, audited with ``reason`` ("cancelled" by an admin,
    "disabled" with the account); returns how many were open (0 or 1)."""
    return _revoke_open(actor=actor, user=user, reason=reason, request=request, actor_label=actor_label)


def invitation_for_token(token: str) -> Invitation:
    """The usable invitation the token opens, or ``InvitationUnusable`` — one indexed query
    whichever way it fails, so no case can be told apart from another."""
    invitation = (
        Invitation.objects.select_related("user", "user__insurer", "user__office", "created_by")
        .filter(token_hash=_hash(token))
        .first()
    )
    if invitation is None or not invitation.is_open_at(timezone.now()) or not invitation.user.is_active:
        raise InvitationUnusable
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str, request: HttpRequest | None = None) -> User:
    """Uses the invitation up and gives its account the password the person chose.

    Raises ``InvitationUnusable`` when the link no longer works (another tab used it a moment
    ago, say) and Django's ``ValidationError`` when the password breaks a validator; in either
    case nothing is written."""
    found = invitation_for_token(token)
    # Re-read under a lock: two submissions of one link must not both succeed.
    invitation = Invitation.objects.select_for_update().select_related("user").get(pk=found.pk)
    user = invitation.user
    if not invitation.is_open_at(timezone.now()) or not user.is_active:
        raise InvitationUnusable
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    audit_record(
        event_type=EventType.ACCOUNTS_INVITATION_ACCEPTED,
        actor=user,
        request=request,
        target=user,
        details={"invitation": invitation.pk},
    )
    return user


def _invitation_message(invitation: Invitation, *, token: str, actor: User | None) -> mail.EmailMessage:
    user = invitation.user
    context = {
        "name": user.display_name,
        "email": user.email,
        # Lazy labels, so that they come out in the service's language like the rest.
        "role": Role(user.role).label,
        "tenant": user.tenant_name,
        "inviter": actor.display_name if actor is not None else "",
        "inviter_tenant": (actor.tenant_name or Role(actor.role).label) if actor is not None else "",
        "url": invitation_url(token),
        "expires_at": timezone.localtime(invitation.expires_at),
        "service_name": settings.SERVICE_NAME,
    }
    return render_message(TEMPLATE, context, [user.email])
