"""E-mail about an office's applications: the insurer's decisions to the office's admins, the
receipt of an application to the person who sent it, and the notice to an address that already
has an account.

The insurer's e-mails are in the insurer's own wording when it has one (``insurers.texts``).
A message names the insurer, the office, the status and the reason; it holds no case data.
Each recipient gets a message of their own, so that no address is shown to another.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.insurers.texts import MailKind, message_for
from shinchoku.offices.decisions import DECISIONS, Action
from shinchoku.offices.models import ApprovalStatus, OfficeApproval
from shinchoku.web.mail import render_message, send_or_log

EMAIL_TAKEN_TEMPLATE = "offices/email/email_taken"


def _office_values(approval: OfficeApproval) -> dict[str, str]:
    return {
        "事業所名": approval.office.name,
        "事業所番号": approval.office.number,
        "保険者名": approval.insurer.name,
    }


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
    with translation.override(settings.LANGUAGE_CODE):  # whatever language the decider uses
        status = str(decision.to.label)
    values = {
        **_office_values(approval),
        "状態": status,
        "理由": reason,
        "URL": settings.BASE_URL + reverse("web:home"),
    }
    kind = MailKind(f"decision_{decision.action.value}")
    # One message per admin: each sees only their own address.
    messages = [message_for(approval.insurer, kind, values, [email]) for email in recipients]
    return send_or_log(messages, f"approval decision e-mails (approval {approval_id})")


def send_received_emails(approval_ids: Sequence[int], applicant_id: int) -> int:
    """One e-mail per application to the person who sent it, each in its insurer's wording."""
    applicant = User.objects.filter(pk=applicant_id, is_active=True).first()
    if applicant is None:
        return 0
    approvals = OfficeApproval.objects.select_related("insurer", "office").filter(pk__in=approval_ids)
    messages = [
        message_for(
            approval.insurer,
            MailKind.APPLICATION_RECEIVED,
            {
                **_office_values(approval),
                "申請者名": applicant.display_name,
                "URL": settings.BASE_URL + reverse("offices:applications"),
            },
            [applicant.email],
        )
        for approval in approvals.order_by("insurer__number")
        if approval.status == ApprovalStatus.PENDING
    ]
    return send_or_log(messages, f"application received e-mails ({len(messages)})")


def send_email_taken_notice(email: str) -> int:
    """Tells an address that already has an account that a registration named it, and was not made.

    Nothing the sender typed is repeated in it (the form is public: the message must not carry
    a stranger's words to the address).
    """
    context = {
        "service_name": settings.SERVICE_NAME,
        "login_url": settings.BASE_URL + reverse("account_login"),
        "register_url": settings.BASE_URL + reverse("offices:register"),
    }
    return send_or_log([render_message(EMAIL_TAKEN_TEMPLATE, context, [email])], "registration: address taken notice")
