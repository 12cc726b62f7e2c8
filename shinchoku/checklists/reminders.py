"""Reminders that a signed checklist is about to expire, or has expired, by
``manage.py remind_checklists`` (daily).

For each office, only its latest signed submission counts (a renewed checklist makes the old
one's expiry no news). Its office's active admins get, each in a message of their own:

* **before expiry**, once, on the first run in the 30 days before it expires, saying until when
  it is valid and which insurers will stop lookups or approvals without it;
* **on expiry**, once, on the first run after it expired (if the job missed the 30 days, this is
  the only one).

Following ``accounts.dormancy``: the messages go out inside the transaction that records them,
before the record, so a reminder the mail server refused is not recorded and the next run tries
again; the record (the time on the submission) and its audit event commit together. An office
with no active admin gets nothing and nothing is recorded, so that an admin added later is told.
"""

from __future__ import annotations

import enum
import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record
from shinchoku.checklists.models import Submission, SubmissionStatus
from shinchoku.checklists.validity import REMIND_BEFORE
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import ApprovalStatus
from shinchoku.web.mail import render_message

logger = logging.getLogger(__name__)

JOB = "manage.py remind_checklists"
TEMPLATE = "checklists/email/reminder"


class Kind(enum.StrEnum):
    BEFORE_EXPIRY = "before_expiry"
    EXPIRED = "expired"

    @property
    def field(self) -> str:
        return "reminded_before_at" if self is Kind.BEFORE_EXPIRY else "reminded_expired_at"


def _latest_signed() -> QuerySet[Submission]:
    newer = Submission.objects.filter(
        office_id=OuterRef("office_id"), status=SubmissionStatus.SIGNED, signed_at__gt=OuterRef("signed_at")
    )
    return Submission.objects.filter(status=SubmissionStatus.SIGNED).exclude(Exists(newer))


def due(kind: Kind, now: datetime) -> QuerySet[Submission]:
    """Latest signed submissions whose reminder of ``kind`` is due at ``now`` and not yet sent."""
    latest = _latest_signed().filter(**{f"{kind.field}__isnull": True})
    if kind is Kind.BEFORE_EXPIRY:
        latest = latest.filter(expires_at__gt=now, expires_at__lte=now + REMIND_BEFORE)
    else:
        latest = latest.filter(expires_at__lte=now)
    return latest.select_related("office", "version").order_by("expires_at", "pk")


def _recipients(submission: Submission) -> list[str]:
    return list(
        User.objects.filter(office_id=submission.office_id, role=Role.OFFICE_ADMIN, is_active=True)
        .order_by("pk")
        .values_list("email", flat=True)
    )


def _messages(submission: Submission, kind: Kind, recipients: list[str]) -> list[mail.EmailMessage]:
    # Who stops what without it: the insurers that approve the office and require a checklist.
    requiring = Insurer.objects.filter(
        is_active=True,
        office_approvals__office_id=submission.office_id,
        office_approvals__status=ApprovalStatus.APPROVED,
        checklist_policy__require_for_lookup=True,
    ).order_by("number")
    context = {
        "kind": kind.value,
        "office": submission.office.name,
        "version": submission.version.code,
        "valid_until": submission.valid_until,
        "lookup_insurers": [i.name for i in requiring],
        "url": settings.BASE_URL + reverse("checklists:overview"),
        "service_name": settings.SERVICE_NAME,
    }
    # One message per admin: each sees only their own address.
    return [render_message(TEMPLATE, context, [email]) for email in recipients]


def submission_remind(*, submission_id: int, kind: Kind, now: datetime, connection: BaseEmailBackend) -> int | None:
    """Sends one reminder to the office's admins and records it; returns the number of
    recipients (0: none, nothing recorded), or None when it is no longer due.

    Raises the mail backend's error when a message cannot be sent; nothing is recorded then.
    """
    with transaction.atomic():
        submission = due(kind, now).select_for_update(of=("self",)).filter(pk=submission_id).first()
        if submission is None:
            return None
        recipients = _recipients(submission)
        if not recipients:
            return 0
        messages = _messages(submission, kind, recipients)
        if connection.send_messages(messages) != len(messages):
            raise smtplib.SMTPException("the mail backend did not send every message")
        setattr(submission, kind.field, now)
        submission.save(update_fields=[kind.field])
        audit_record(
            event_type=EventType.CHECKLISTS_REMINDER_SENT,
            actor=None,
            actor_label=JOB,
            office=submission.office,
            target=submission,
            details={
                "kind": kind.value,
                "valid_until": str(submission.valid_until),
                "recipients": len(recipients),
            },
        )
    return len(recipients)


@dataclass
class ReminderRun:
    """What one run did (or, dry, would do)."""

    now: datetime
    dry_run: bool
    sent: list[tuple[Submission, Kind, int]] = field(default_factory=list)
    no_recipients: list[tuple[Submission, Kind]] = field(default_factory=list)
    failed: list[tuple[Submission, Kind]] = field(default_factory=list)

    def count(self, kind: Kind) -> int:
        return sum(1 for _, k, _ in self.sent if k is kind)


def reminders_process(*, now: datetime | None = None, dry_run: bool = False) -> ReminderRun:
    """One daily run: the expiry reminders first, then those before expiry. Idempotent: a second
    run finds nothing more to send. ``dry_run`` sends and records nothing."""
    now = now or timezone.now()
    run = ReminderRun(now=now, dry_run=dry_run)
    # Opened by each send when needed, so one refused message costs that reminder only.
    connection = mail.get_connection()
    for kind in (Kind.EXPIRED, Kind.BEFORE_EXPIRY):
        for submission in list(due(kind, now)):
            if dry_run:
                recipients = len(_recipients(submission))
                if recipients:
                    run.sent.append((submission, kind, recipients))
                else:
                    run.no_recipients.append((submission, kind))
                continue
            try:
                sent = submission_remind(submission_id=submission.pk, kind=kind, now=now, connection=connection)
            except (smtplib.SMTPException, OSError) as exc:
                # The exception text can name a recipient's address: log its type only.
                logger.error(
                    "checklist reminder %s of submission %s not sent (%s)", kind, submission.pk, type(exc).__name__
                )
                run.failed.append((submission, kind))
                continue
            if sent == 0:
                run.no_recipients.append((submission, kind))
            elif sent is not None:
                run.sent.append((submission, kind, sent))
    return run
