"""E-mail to care managers when an import changed cases they follow: one message per person and
import, saying only how many of their followed applications changed.

A message holds no 被保険者番号, no date, no stage or result and no case id: mail is forwarded,
mis-addressed and read on shared screens, so the details stay behind the login on the linked page.
"""

from __future__ import annotations

import logging
from collections import Counter

from django.conf import settings
from django.core import mail
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission
from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record
from shinchoku.cases.models import ImportRun
from shinchoku.checklists.selectors import with_lookup_gate
from shinchoku.insurers.models import Insurer
from shinchoku.lookup.models import Follow, Preference
from shinchoku.offices.selectors import insurers_approving
from shinchoku.web.mail import render_message, send_or_log

logger = logging.getLogger(__name__)

TEMPLATE = "lookup/email/followed_changed"


def notify_followers(run_id: int) -> int:
    """E-mails every care manager who follows a case import ``run_id`` created or changed, and
    may still see it; returns the number of e-mails sent.

    Called once the import has committed (``lookup.receivers``): a failure to send is logged and
    swallowed, since the import itself stands.
    """
    run = ImportRun.objects.select_related("insurer").filter(pk=run_id, status=ImportRun.Status.SUCCEEDED).first()
    if run is None:
        return 0
    changed: Counter[int] = Counter()
    recipients: dict[int, User] = {}
    cases: set[int] = set()
    withheld: dict[int, bool] = {}  # office id -> the run's insurer withholds lookups from it
    for follow in _follows_to_notify(run):
        office_id = follow.user.office_id
        if office_id is not None and office_id not in withheld:
            # An insurer that requires a current security checklist the office lacks has shut
            # its lookups (``lookup_insurers``); its news waits behind that gate too.
            insurer = with_lookup_gate(Insurer.objects.filter(pk=run.insurer_id), office_id).get()
            withheld[office_id] = bool(getattr(insurer, "lookup_withheld"))  # noqa: B009 - an annotation
        # Defence in depth: the query already asks for active users; roles can still change.
        if follow.user.can(Permission.LOOKUP_CASE_LOOKUP) and not withheld.get(office_id or 0, True):
            recipients[follow.user_id] = follow.user
            changed[follow.user_id] += 1
            cases.add(follow.case_id)
    if not recipients:
        return 0

    messages = [_message(user, changed[pk]) for pk, user in recipients.items()]
    sent = send_or_log(messages, f"follow notices of import run {run.pk}")
    if sent:
        _audit(run, recipients=sent, cases=len(cases))
    return sent


def _follows_to_notify(run: ImportRun) -> QuerySet[Follow]:
    """Follows of the run's cases whose follower should hear of it, with the user, in one query."""
    return (
        Follow.objects.filter(
            case__last_import_id=run.pk,
            user__is_active=True,
            # A case handed to another office no longer concerns this office's care managers.
            user__office__number=F("case__office_number"),
        )
        .filter(Exists(insurers_approving(OuterRef("user__office_id")).filter(pk=run.insurer_id)))
        # No Preference row means the default: e-mail on.
        .exclude(Exists(Preference.objects.filter(user_id=OuterRef("user_id"), email_on_followed_change=False)))
        .select_related("user")
        # What the notice needs of the user (address, role, state); no password hash in memory.
        .only("case", "user__email", "user__role", "user__is_active", "user__office")
        .order_by("user_id", "case_id")
    )


def _message(user: User, changed: int) -> mail.EmailMessage:
    context = {
        "changed": changed,
        "linked_url": settings.BASE_URL + reverse("lookup:linked_list"),
        "preferences_url": settings.BASE_URL + reverse("lookup:preferences"),
        "service_name": settings.SERVICE_NAME,
    }
    return render_message(TEMPLATE, context, [user.email])


def _audit(run: ImportRun, *, recipients: int, cases: int) -> None:
    try:
        with transaction.atomic():
            audit_record(
                event_type=EventType.LOOKUP_NOTIFICATION_SENT,
                insurer=run.insurer,
                actor=None,
                actor_label="notify_followers",
                target=run,
                details={"recipients": recipients, "cases": cases},
            )
    except DatabaseError as exc:
        # The e-mails are gone already; failing here would only turn the import's reply into an error.
        logger.error("the notice event of import run %s could not be recorded (%s)", run.pk, type(exc).__name__)
