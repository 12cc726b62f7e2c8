"""View guards. Login and the second factor are enforced globally by middleware; these add
the permission check, answering 403 for a role that never has access (not an oracle: it says
nothing about whether an object exists)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission

View = Callable[..., HttpResponse]


def actor(request: HttpRequest) -> User:
    """The signed-in user of a view behind ``login_required`` or ``require_permission``."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def require_permission(*permissions: Permission) -> Callable[[View], View]:
    """Signed in, and holding at least one of ``permissions``."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not any(actor(request).can(p) for p in permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded: View = login_required(wrapped)
        guarded.required_permissions = permissions  # type: ignore[attr-defined]
        return guarded

    return decorator
