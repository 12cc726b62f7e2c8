from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from shinchoku.web.navigation import navigation_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the page frame needs: the service name and the actor's menu."""
    user = getattr(request, "user", None)
    return {
        "service_name": settings.SERVICE_NAME,
        "nav_items": navigation_for(user) if user is not None and user.is_authenticated else [],
    }
