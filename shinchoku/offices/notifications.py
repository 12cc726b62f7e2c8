"""E-mail to an office's admins when an insurer decides on its application or approval.

A message names the insurer, the new status, the reason and what it means for the office's
care managers; it holds no case data. Each admin gets a message of their own, so that no
address is shown to another.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.offices.decisions import DECISIONS, Action
from shinchoku.offices.models import OfficeApproval
from shinchoku.web.mail import render_message, send_or_log

logger = logging.getLogger(__name__)

TEMPLATE = "offices/email/decision"


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
        "status": decision.to.label,
        "service_name": settings.SERVICE_NAME,
        "url": settings.BASE_URL + reverse("web:home"),
    }
    # One message per admin: each sees only their own address.
    messages = [render_message(TEMPLATE, context, [email]) for email in recipients]
    return send_or_log(messages, f"approval decision e-mails (approval {approval_id})")
