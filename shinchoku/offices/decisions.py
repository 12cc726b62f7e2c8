"""What an insurer admin may decide about an office's approval, from each status.

One table, read by the service (to refuse a decision the status does not allow, such as one
sent from a page that was out of date) and by the page (to offer only the allowed ones).
Rejected and revoked approvals are final.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from shinchoku.offices.models import ApprovalStatus

S = ApprovalStatus


class Action(models.TextChoices):
    # The labels are the buttons' texts: each says what happens to the office.
    APPROVE = "approve", _("承認する")
    RETURN = "return", _("差し戻す")
    REJECT = "reject", _("却下する")
    SUSPEND = "suspend", _("利用を停止する")
    RESUME = "resume", _("利用を再開する")
    REVOKE = "revoke", _("承認を取り消す")


@dataclass(frozen=True)
class Decision:
    action: Action
    to: ApprovalStatus
    sources: frozenset[ApprovalStatus]
    needs_reason: bool  # the reason is shown to the office; without one it cannot act on it
    destructive: bool  # stops the office's lookups or ends its application: a danger button

    @property
    def label(self) -> str:
        return str(self.action.label)


DECISIONS: dict[Action, Decision] = {
    d.action: d
    for d in (
        Decision(Action.APPROVE, S.APPROVED, frozenset({S.PENDING, S.RETURNED}), needs_reason=False, destructive=False),
        Decision(Action.RETURN, S.RETURNED, frozenset({S.PENDING, S.RETURNED}), needs_reason=True, destructive=False),
        Decision(Action.REJECT, S.REJECTED, frozenset({S.PENDING, S.RETURNED}), needs_reason=True, destructive=True),
        Decision(Action.SUSPEND, S.SUSPENDED, frozenset({S.APPROVED}), needs_reason=True, destructive=True),
        Decision(Action.RESUME, S.APPROVED, frozenset({S.SUSPENDED}), needs_reason=False, destructive=False),
        Decision(Action.REVOKE, S.REVOKED, frozenset({S.APPROVED, S.SUSPENDED}), needs_reason=True, destructive=True),
    )
}

FINAL = frozenset({S.REJECTED, S.REVOKED})
# What the office itself may do, outside the insurer's table: send a returned application again
# (with a new proof), which puts it back among those awaiting review.
RESUBMITTABLE = frozenset({S.RETURNED})
REASON_MAX_LENGTH = 200  # what the audit event keeps of it


def decisions_from(status: str) -> list[Decision]:
    """The decisions allowed from ``status``, in the order the page shows them."""
    return [d for d in DECISIONS.values() if status in d.sources]
