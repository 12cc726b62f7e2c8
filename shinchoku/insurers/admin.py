from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shinchoku.insurers.models import Insurer
from shinchoku.insurers.services import insurer_create, insurer_update
from shinchoku.web.admin_site import site
from shinchoku.web.decorators import actor


@admin.register(Insurer, site=site)
class InsurerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["number", "name", "is_active", "created_at"]
    # Retention and 要介護度 are the insurer admin's policy (insurers:settings), not the operator's.
    fields = ["number", "name", "is_active", "created_at"]
    search_fields = ["number", "name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Insurer | None = None) -> list[str]:
        return ["number", "created_at"] if obj is not None else ["created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Insurer, form: Any, change: bool) -> None:
        # Through the services, so every change made here is audited like any other.
        if change:
            current = Insurer.objects.get(pk=obj.pk)
            insurer_update(
                actor=actor(request),
                insurer=current,
                name=obj.name,
                is_active=obj.is_active,
                request=request,
            )
        else:
            created = insurer_create(actor=actor(request), number=obj.number, name=obj.name, request=request)
            obj.pk = created.pk
