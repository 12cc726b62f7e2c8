from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from shinchoku.accounts.adapters import has_second_factor
from shinchoku.lookup import selectors as lookup_selectors
from shinchoku.web.decorators import actor


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The menu, and for an insurer's admins and auditors the lookup stops nobody has looked at."""
    open_alerts = lookup_selectors.alerts_for_actor(actor(request)).filter(acknowledged_at__isnull=True).count()
    return render(request, "web/home.html", {"open_alerts": open_alerts})


@require_GET
@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Where an account without a second factor is sent: choose an authenticator app or a passkey."""
    if has_second_factor(request.user):
        return redirect("web:home")
    return render(request, "web/enrol.html")
