from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from shinchoku.audit.services import AuditUnavailable
from shinchoku.web.errors import audit_unavailable


class NoStoreMiddleware:
    """Nothing a view renders may be kept by a browser or proxy cache (shared office PCs).

    It is the outermost middleware so that redirects made by other middleware (HTTPS, session
    timeout) are covered too; static files keep WhiteNoise's long cache headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(settings.STATIC_URL):
            return response  # WhiteNoise's own long-lived, versioned cache headers
        response["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        return response


class AuditFailClosedMiddleware:
    """A page whose audit event could not be written is not served: 503 with a plain message
    (the view's transaction has already rolled back, so nothing it read or wrote remains)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, AuditUnavailable):
            return audit_unavailable(request)
        return None
