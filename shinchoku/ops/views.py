from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shinchoku.accounts.permissions import Permission
from shinchoku.ops import selectors
from shinchoku.web.decorators import actor, require_permission


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer: is the database reachable? No counts, no versions."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_GET
@require_permission(Permission.OPS_HEALTH_READ)
def status(request: HttpRequest) -> HttpResponse:
    """The vendor's view (seed 002): counts and health, never an identifier or a name."""
    return render(
        request,
        "ops/status.html",
        {"counts": selectors.counts_for_operator(actor(request))},
    )
