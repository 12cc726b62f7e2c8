"""The insurer admin's pages for API clients: list, issue (token shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shinchoku.accounts.permissions import Permission
from shinchoku.api import selectors, services
from shinchoku.api.forms import ApiClientForm
from shinchoku.web.decorators import actor, require_permission


@require_GET
@require_permission(Permission.API_CLIENT_MANAGE)
def client_list(request: HttpRequest) -> HttpResponse:
    clients = selectors.api_clients_for_actor(actor(request))
    return render(request, "api/client_list.html", {"clients": clients})


@require_http_methods(["GET", "POST"])
@require_permission(Permission.API_CLIENT_MANAGE)
def client_create(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    if me.insurer is None:
        raise PermissionDenied
    form = ApiClientForm(request.POST or None, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        try:
            client, token = services.api_client_create(
                actor=me,
                insurer=me.insurer,
                name=form.cleaned_data["name"],
                expires_at=services.expiry_after(form.cleaned_data["expires_on"]),
                allowed_ips=form.cleaned_data["allowed_ips"],
                request=request,
            )
        except services.ApiClientError as exc:
            form.add_error(None, str(exc))
        else:
            # The token is in this response only: not in a URL, a redirect, the session or a log.
            status_path = reverse("api:v1:import_status", kwargs={"import_id": 0}).removesuffix("0") + "{id}"
            context = {"client": client, "token": token, "import_status_path": status_path}
            response = render(request, "api/client_created.html", context)
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "api/client_form.html", {"form": form})


@require_POST
@require_permission(Permission.API_CLIENT_MANAGE)
def client_revoke(request: HttpRequest, client_id: int) -> HttpResponse:
    me = actor(request)
    client = selectors.api_client_for_actor(me, client_id)
    services.api_client_revoke(actor=me, client=client, request=request)
    messages.success(
        request,
        gettext("「%(name)s」のトークンを失効させました。このトークンでの接続はすぐに拒否されます。")
        % {"name": client.name},
    )
    return redirect("api:client_list")
