"""Django admin for platform admins only, behind the same login and second factor as the rest."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse


class PlatformAdminSite(admin.AdminSite):
    site_header = "介護認定 進捗照会サービス 基盤管理"
    site_title = "基盤管理"
    index_title = "保険者(テナント)の管理"

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_platform_admin", False))

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # Everyone but platform admins is told the admin does not exist.
            if request.user.is_authenticated and not self.has_permission(request):
                raise Http404
            return inner(request, *args, **kwargs)  # type: ignore[no-any-return]

        guarded.admin_site_view = True  # type: ignore[attr-defined]
        return guarded

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # One login for the whole service: password, second factor, lockout and audit included.
        if request.user.is_authenticated:
            raise Http404
        return redirect_to_login(request.get_full_path(), reverse("account_login"))


site = PlatformAdminSite(name="admin")
