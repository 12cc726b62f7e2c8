from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from shinchoku.accounts.adapters import has_second_factor


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@require_GET
@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Where an account without a second factor is sent: choose an authenticator app or a passkey."""
    if has_second_factor(request.user):
        return redirect("web:home")
    return render(request, "web/enrol.html")
