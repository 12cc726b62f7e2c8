"""Dormant accounts (DESIGN T3): warned by e-mail, then disabled, by ``manage.py disable_dormant``.

An account's last activity is the latest of its last sign-in, its last re-enabling by an admin
and its creation (for someone who never signed in). With ``days`` (``ACCOUNTS_DORMANT_DAYS``) and
``warning_days`` (``ACCOUNTS_DORMANT_WARNING_DAYS``), counted in whole days of Asia/Tokyo so
that the hour the job runs at does not matter:

* **warned** on the first run on or after the day ``last activity + days - warning_days``: an
  e-mail says on which day the account will be disabled unless the person signs in before it;
* **disabled** on the first run on or after that day, which is the later of ``last activity +
  days`` and ``warning + warning_days``: a late warning (the job did not run, or the feature was
  just installed) always leaves the person the full notice. Nobody is disabled without a warning.

A warning stands only while no activity came after it: signing in, or being re-enabled, starts
everything again, and the next period of disuse brings a new warning.

**Platform admins are never warned nor disabled.** An installation may have a single one, and
nobody in the application can re-enable them (that takes the shell on the server); they are few,
named, and the command prints how many of them have been unused that long, for the operator to
review. Everyone else is covered, insurer admins included: their accounts are the most powerful.

The e-mail goes out inside the transaction that records the warning, before the record: if it
cannot be sent, no warning is recorded (so none can lead to disabling), and the next run tries
again.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import LessThan
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import user_disable
from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record
from shinchoku.web.mail import render_message

logger = logging.getLogger(__name__)

JOB = "manage.py disable_dormant"
# Stored in ``User.disabled_reason`` (data, like the reasons admins type), not translated.
DORMANT_REASON = "長期間利用がないため自動で無効化"
TEMPLATE = "accounts/email/dormancy_warning"


@dataclass(frozen=True)
class DormancyPolicy:
    days: int
    warning_days: int

    @classmethod
    def from_settings(cls) -> DormancyPolicy:
        policy = cls(days=settings.ACCOUNTS_DORMANT_DAYS, warning_days=settings.ACCOUNTS_DORMANT_WARNING_DAYS)
        if not 1 <= policy.warning_days < policy.days:
            raise ImproperlyConfigured(
                f"ACCOUNTS_DORMANT_WARNING_DAYS ({policy.warning_days}) must be at least 1 and "
                f"shorter than ACCOUNTS_DORMANT_DAYS ({policy.days})"
            )
        return policy


def last_activity(prefix: str = "") -> Greatest:
    """The last activity of a user, as an expression (``prefix`` reaches a user through a relation)."""
    joined = F(f"{prefix}date_joined")
    return Greatest(
        joined,
        Coalesce(F(f"{prefix}last_login"), joined),
        Coalesce(F(f"{prefix}reactivated_at"), joined),
    )


def warning_is_current(prefix: str = "") -> Q:
    """The user was warned and has not been active since (an active user in this state is "dormant")."""
    return Q(**{f"{prefix}dormant_warned_at__isnull": False, f"{prefix}dormant_warned_at__gte": last_activity(prefix)})


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _covered() -> QuerySet[User]:
    """Active accounts this job may warn and disable: everyone's but the platform admins'."""
    return (
        User.objects.filter(is_active=True)
        .exclude(role=Role.PLATFORM_ADMIN)
        .annotate(last_active=last_activity())
        .select_related("insurer", "office")
    )


def _unused_before(moment: datetime) -> LessThan:
    return LessThan(last_activity(), moment)


def due_for_warning(policy: DormancyPolicy, today: date) -> QuerySet[User]:
    """Unused since ``days - warning_days`` days before ``today`` or longer, and not warned since."""
    quiet_from = today - timedelta(days=policy.days - policy.warning_days)
    return (
        _covered()
        .filter(_unused_before(_start_of(quiet_from + timedelta(days=1))))
        .filter(Q(dormant_warned_at__isnull=True) | Q(dormant_warned_at__lt=last_activity()))
        .order_by("pk")
    )


def due_for_disabling(policy: DormancyPolicy, today: date) -> QuerySet[User]:
    """Unused for ``days`` days or longer, and warned, with no activity since, ``warning_days`` ago or longer."""
    return (
        _covered()
        .filter(_unused_before(_start_of(today - timedelta(days=policy.days - 1))))
        .filter(warning_is_current(), dormant_warned_at__lt=_start_of(today - timedelta(days=policy.warning_days - 1)))
        .order_by("pk")
    )


def dormant_platform_admins(policy: DormancyPolicy, today: date) -> int:
    """Active platform admins unused for the period: reported to the operator, never disabled."""
    return (
        User.objects.filter(is_active=True, role=Role.PLATFORM_ADMIN)
        .filter(_unused_before(_start_of(today - timedelta(days=policy.days - 1))))
        .count()
    )


def disable_on(*, last_active: datetime, warned_at: datetime, policy: DormancyPolicy) -> date:
    """The day from which the run disables a warned account (the rule of ``due_for_disabling``)."""
    return max(
        timezone.localdate(last_active) + timedelta(days=policy.days),
        timezone.localdate(warned_at) + timedelta(days=policy.warning_days),
    )


# -- writes -------------------------------------------------------------------------------------


def user_dormancy_warn(
    *, user_id: int, policy: DormancyPolicy, now: datetime, connection: BaseEmailBackend
) -> date | None:
    """Warns one account that it will be disabled, audited; returns the day it will be, or None
    when it is no longer due (it signed in meanwhile, or another run warned it).

    Raises the mail backend's error when the e-mail cannot be sent; nothing is recorded then.
    """
    with transaction.atomic():
        # Re-read under a lock: the list the run started from may be stale by now.
        user = (
            due_for_warning(policy, timezone.localdate(now)).select_for_update(of=("self",)).filter(pk=user_id).first()
        )
        if user is None:
            return None
        last_active: datetime = user.last_active  # type: ignore[attr-defined]
        deadline = disable_on(last_active=last_active, warned_at=now, policy=policy)
        # Sent before the warning is recorded and committed, not on the commit: a warning that
        # was never delivered must not count. It goes before the audit write too, so a slow mail
        # server holds this user's row only, not the tenant's audit chain. Should the write fail
        # after the send, the next run merely sends a second e-mail.
        if (
            connection.send_messages(
                [_warning_message(user, last_active=last_active, deadline=deadline, policy=policy)]
            )
            != 1
        ):
            raise smtplib.SMTPException("the mail backend sent nothing")
        user.dormant_warned_at = now
        user.save(update_fields=["dormant_warned_at"])
        audit_record(
            event_type=EventType.ACCOUNTS_USER_DORMANCY_WARNED,
            actor=None,
            actor_label=JOB,
            insurer=user.insurer,
            office=user.office,
            target=user,
            details={
                "last_active_on": timezone.localdate(last_active).isoformat(),
                "disable_on": deadline.isoformat(),
            },
        )
    return deadline


def user_dormancy_disable(*, user_id: int, policy: DormancyPolicy, now: datetime) -> User | None:
    """Disables one warned account whose notice has run out (sessions end, audited); None when
    it is no longer due."""
    with transaction.atomic():
        user = (
            due_for_disabling(policy, timezone.localdate(now))
            .select_for_update(of=("self",))
            .filter(pk=user_id)
            .first()
        )
        if user is None:
            return None
        return user_disable(actor=None, actor_label=JOB, user=user, reason=DORMANT_REASON)


def _warning_message(user: User, *, last_active: datetime, deadline: date, policy: DormancyPolicy) -> mail.EmailMessage:
    # Only the recipient's own account is named: mail is forwarded and read on shared screens.
    context = {
        "name": user.display_name,
        "email": user.email,
        "last_active_on": timezone.localdate(last_active),
        "disable_on": deadline,
        "days": policy.days,
        # Invited but never set up (no password yet): signing in is not open to them.
        "never_set_up": not user.has_usable_password(),
        "url": settings.BASE_URL + reverse("web:home"),
        "service_name": settings.SERVICE_NAME,
    }
    return render_message(TEMPLATE, context, [user.email])


@dataclass
class DormancyRun:
    """What one run did (or, dry, would do)."""

    today: date
    policy: DormancyPolicy
    dry_run: bool
    warned: list[tuple[User, date]] = field(default_factory=list)
    disabled: list[User] = field(default_factory=list)
    failed: list[User] = field(default_factory=list)  # warnings whose e-mail could not be sent
    dormant_platform_admins: int = 0


def dormant_accounts_process(*, policy: DormancyPolicy, now: datetime, dry_run: bool = False) -> DormancyRun:
    """One daily run: disable the accounts whose notice ran out, then warn the newly dormant.

    Idempotent: a second run on the same day finds nobody. ``dry_run`` writes and sends nothing.
    """
    today = timezone.localdate(now)
    run = DormancyRun(today=today, policy=policy, dry_run=dry_run)
    run.dormant_platform_admins = dormant_platform_admins(policy, today)
    for user in list(due_for_disabling(policy, today)):
        if dry_run:
            run.disabled.append(user)
        elif (disabled := user_dormancy_disable(user_id=user.pk, policy=policy, now=now)) is not None:
            run.disabled.append(disabled)
    to_warn = list(due_for_warning(policy, today))
    if dry_run:
        for user in to_warn:
            run.warned.append((user, disable_on(last_active=user.last_active, warned_at=now, policy=policy)))  # type: ignore[attr-defined]
        return run
    # Not opened up front: each send opens it if needed, so one refused message or a dropped
    # connection costs that warning only (it is tried again on the next run).
    connection = mail.get_connection()
    for user in to_warn:
        try:
            deadline = user_dormancy_warn(user_id=user.pk, policy=policy, now=now, connection=connection)
        except (smtplib.SMTPException, OSError) as exc:
            # The exception text can name the recipient's address: log its type only.
            logger.error("dormancy warning to user %s could not be sent (%s)", user.pk, type(exc).__name__)
            run.failed.append(user)
            continue
        if deadline is not None:
            run.warned.append((user, deadline))
    return run
