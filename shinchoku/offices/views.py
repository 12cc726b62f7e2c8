from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shinchoku.accounts.permissions import Permission
from shinchoku.offices import selectors
from shinchoku.web.decorators import actor, require_permission


@require_GET
@require_permission(Permission.OFFICES_OFFICE_READ)
def approval_list(request: HttpRequest) -> HttpResponse:
    approvals = selectors.approvals_for_actor(actor(request)).order_by("office__number")
    return render(request, "offices/approval_list.html", {"approvals": approvals})


@require_GET
@require_permission(Permission.OFFICES_OFFICE_READ)
def approval_detail(request: HttpRequest, approval_id: int) -> HttpResponse:
    approval = selectors.approval_for_actor(actor(request), approval_id)
    return render(request, "offices/approval_detail.html", {"approval": approval})
