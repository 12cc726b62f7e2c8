"""Django admin for platform admins only, behind the same login and second factor as the rest."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class PlatformAdminSite(admin.AdminSite):
    site_header = _("介護認定 進捗照会サービス 基盤管理")
    site_title = _("基盤管理")
    index_title = _("保険者(テナント)の管理")

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_platform_admin", False))

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                # Straight to the service's login, so that after it the admin opens where asked
                # (Django's own detour through admin:login would end on that view's 404); as in
                # Django, back to the index rather than to a logout.
                logout = request.path == reverse("admin:logout", current_app=self.name)
                back_to = reverse("admin:index", current_app=self.name) if logout else request.get_full_path()
                return redirect_to_login(back_to, reverse("account_login"))
            # Everyone but platform admins is told the admin does not exist.
            if not self.has_permission(request):
                raise Http404
            return inner(request, *args, **kwargs)  # type: ignore[no-any-return]

        guarded.admin_site_view = True  # type: ignore[attr-defined]
        return guarded

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # One login for the whole service: password, second factor, lockout and audit included.
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect("admin:index")
            raise Http404
        return redirect_to_login(request.get_full_path(), reverse("account_login"))

    def password_change(  # type: ignore[override]  # a redirect, not Django's TemplateResponse
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # One password form too: allauth's, which asks for the current password and audits the
        # change (auth:password:changed); Django's admin form would change it unaudited.
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return redirect("account_change_password")


site = PlatformAdminSite(name="admin")
