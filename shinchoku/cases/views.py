from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shinchoku.accounts.permissions import Permission
from shinchoku.web.decorators import require_permission


@require_GET
@require_permission(Permission.CASES_CASE_READ)
def case_search(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/case_search.html")
