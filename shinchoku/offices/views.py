from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission
from shinchoku.offices import selectors, services
from shinchoku.offices.decisions import decisions_from
from shinchoku.offices.forms import DecisionForm
from shinchoku.offices.models import ApprovalStatus, OfficeApproval
from shinchoku.web.decorators import actor, require_permission


@require_GET
@require_permission(Permission.OFFICES_OFFICE_READ)
def approval_list(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    counts = selectors.approval_status_counts(me)
    context = {
        "approvals": selectors.approvals_pending_first(me),
        "counts": counts,
        "pending": counts[ApprovalStatus.PENDING],
    }
    return render(request, "offices/approval_list.html", context)


@require_GET
@require_permission(Permission.OFFICES_OFFICE_READ)
def approval_detail(request: HttpRequest, approval_id: int) -> HttpResponse:
    me = actor(request)
    approval = selectors.approval_for_actor(me, approval_id)
    return render(request, "offices/approval_detail.html", _detail_context(me, approval, DecisionForm()))


@require_POST
@require_permission(Permission.OFFICES_APPROVAL_DECIDE)
def approval_decide(request: HttpRequest, approval_id: int) -> HttpResponse:
    me = actor(request)
    approval = selectors.approval_for_actor(me, approval_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decided = services.approval_decide(
                actor=me,
                approval=approval,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                gettext("%(office)s を「%(status)s」にしました。事業所の管理者にメールでお知らせします。")
                % {"office": approval.office.name, "status": decided.get_status_display()},
            )
            return redirect("offices:approval_detail", approval_id=approval.pk)
    # Refused: the page again, as it stands now (this request read it), with the reason typed.
    return render(request, "offices/approval_detail.html", _detail_context(me, approval, form))


def _detail_context(me: User, approval: OfficeApproval, form: DecisionForm) -> dict[str, Any]:
    can_decide = me.can(Permission.OFFICES_APPROVAL_DECIDE)
    return {
        "approval": approval,
        "can_decide": can_decide,
        "decisions": decisions_from(approval.status) if can_decide else [],
        "form": form,
    }
