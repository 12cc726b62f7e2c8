from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


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
