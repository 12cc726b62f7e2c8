"""E-mail to an office's admins when an insurer decides on its application or approval.

A message names the insurer, the new status, the reason and what it means for the office's
care managers; it holds no case data. Each admin gets a message of their own, so that no
address is shown to another.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.offices.decisions import DECISIONS, Action
from shinchoku.offices.models import OfficeApproval

logger = logging.getLogger(__name__)

SUBJECT_TEMPLATE = "offices/email/decision_subject.txt"
BODY_TEMPLATE = "offices/email/decision_body.txt"


def send_decision_emails(approval_id: int, action: str, reason: str) -> int:
    """One e-mail to each active admin of the approval's office; returns how many were sent.

    Runs once the decision has committed: a failure to send is logged and swallowed, since the
    decision stands (and the office sees it in the service).
    """
    approval = OfficeApproval.objects.select_related("insurer", "office").filter(pk=approval_id).first()
    if approval is None:
        return 0
    recipients = list(
        User.objects.filter(office_id=approval.office_id, role=Role.OFFICE_ADMIN, is_active=True)
        .order_by("pk")
        .values_list("email", flat=True)
    )
    if not recipients:
        return 0
    decision = DECISIONS[Action(action)]
    context = {
        "action": decision.action.value,
        "insurer": approval.insurer.name,
        "office": approval.office.name,
        "reason": reason,
        "service_name": settings.SERVICE_NAME,
        "url": settings.BASE_URL + reverse("web:home"),
    }
    # Recipients have no language setting; they get the service's language, not the decider's.
    with translation.override(settings.LANGUAGE_CODE):
        context["status"] = str(decision.to.label)
        subject = "".join(render_to_string(SUBJECT_TEMPLATE, context).splitlines()).strip()
        subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}"
        body = render_to_string(BODY_TEMPLATE, context)
    messages = [
        mail.EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[email])
        for email in recipients
    ]
    try:
        with mail.get_connection() as connection:
            return connection.send_messages(messages)
    except (smtplib.SMTPException, OSError) as exc:
        # The type only: an SMTP error's text can hold the recipients' addresses.
        logger.error(
            "approval decision e-mail could not be sent (approval %s, %d recipients): %s",
            approval_id,
            len(messages),
            type(exc).__name__,
        )
        return 0
