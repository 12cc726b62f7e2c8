"""Checklist facts for pages of other apps, so that their views need not change:

* ``{% approval_checklist_block approval %}`` — the office's checklist on the insurer's
  approval page (status, dates, whether this insurer requires it, a link to the answers);
* ``{% lookup_withheld user withheld_insurers as withheld %}`` — the approving insurers whose
  cases the user's office cannot look up for want of a current checklist (found by the lookup
  views' ``lookup_access``), with the office's checklist status, for the lookup pages to say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission
from shinchoku.checklists import selectors
from shinchoku.checklists.selectors import Status
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import OfficeApproval

register = template.Library()


@register.inclusion_tag("checklists/_approval_block.html", takes_context=True)
def approval_checklist_block(context: dict[str, Any], approval: OfficeApproval) -> dict[str, Any]:
    """``approval`` is one the page's view found through the actor's insurer already."""
    user = context.get("user")
    policy = selectors.policy_of(approval.insurer)
    return {
        "status": selectors.office_checklist_status(approval.office),
        "policy": policy,
        "can_read": isinstance(user, User) and user.can(Permission.CHECKLISTS_STATUS_READ),
        "can_manage": isinstance(user, User) and user.can(Permission.CHECKLISTS_POLICY_MANAGE),
    }


@dataclass(frozen=True)
class Withheld:
    insurers: list[Insurer]
    status: Status | None
    can_answer: bool = False  # the user is an admin of the office, who can sign one

    def __bool__(self) -> bool:
        return bool(self.insurers)


@register.simple_tag
def lookup_withheld(user: Any, insurers: list[Insurer]) -> Withheld:
    """``insurers``: those the page's view found withheld (``lookup.selectors.lookup_access``)."""
    if not insurers or not isinstance(user, User) or user.office_id is None:
        return Withheld([], None)
    return Withheld(
        list(insurers),
        selectors.office_checklist_status(user.office_id),
        can_answer=user.can(Permission.CHECKLISTS_CHECKLIST_ANSWER),
    )
