"""django-axes hooks: one lockout key per account, and no tell-tale lockout page.

A locked account gets exactly the response a wrong password gets (allauth's login form with
its generic error), so the page does not reveal whether an account exists or is locked.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def username_from_request(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    raw = ""
    if credentials:
        raw = str(credentials.get("email") or credentials.get("username") or credentials.get("login") or "")
    if not raw:
        raw = str(request.POST.get("login", ""))
    # Case and surrounding space must not buy an attacker a fresh counter.
    return raw.strip().lower()


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: Any = None,
) -> HttpResponse:
    if original_response is not None:
        return original_response
    # Lockouts detected outside a login form (none today) still answer like a failure.
    return redirect("account_login")
