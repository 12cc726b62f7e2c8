"""The care managers' pages: lookup by key, the office's linked cases, follows, notification
choice; and the insurers' list of lookup stops. The 被保険者番号 travels only in POST bodies
and page content, never in a URL; every response is ``Cache-Control: no-store``."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from redis.exceptions import RedisError

from shinchoku.accounts.permissions import Permission
from shinchoku.lookup import selectors, services
from shinchoku.lookup.forms import FollowForm, LookupForm, PreferenceForm
from shinchoku.web import errors
from shinchoku.web.decorators import actor, require_permission

logger = logging.getLogger(__name__)

ALERT_PAGE_SIZE = 100


@require_http_methods(["GET", "POST"])
@require_permission(Permission.LOOKUP_CASE_LOOKUP)
def lookup(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    insurers, withheld = selectors.lookup_access(me)
    result: services.LookupResult | None = None
    form = LookupForm(request.POST or None, insurers=insurers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.case_lookup(
                actor=me,
                insurers=insurers,
                insurer_number=data["insurer"],
                insured_number=data["insured_number"],
                applied_on=data["applied_on"],
                application_kind=data["application_kind"],
                request=request,
            )
        except RedisError:
            logger.exception("lookup refused: the miss counters (Redis) cannot be reached")
            return errors.lookup_limits_unavailable(request)
        if result.found:
            form = LookupForm(insurers=insurers)  # the next lookup starts from a clean form
    context = {"form": form, "insurers": insurers, "withheld_insurers": withheld, "result": result}
    return render(request, "lookup/lookup.html", context, status=429 if result and result.block else 200)


@require_GET
@require_permission(Permission.LOOKUP_CASE_LOOKUP)
def linked_list(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    insurers, withheld = selectors.lookup_access(me)
    groups = services.linked_cases_list(actor=me, insurers=insurers, request=request)
    context = {"groups": groups, "insurers": insurers, "withheld_insurers": withheld}
    return render(request, "lookup/linked_list.html", context)


@require_GET
@require_permission(Permission.LOOKUP_CASE_LOOKUP)
def linked_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    row = services.linked_case_view(actor=actor(request), case_id=case_id, request=request)
    return render(request, "lookup/linked_detail.html", {"row": row, "case": row.case, "progress": row.progress})


@require_POST
@require_permission(Permission.LOOKUP_CASE_LOOKUP)
def follow(request: HttpRequest, case_id: int) -> HttpResponse:
    form = FollowForm(request.POST)
    if form.is_valid():
        wanted: bool = form.cleaned_data["follow"]
        services.case_follow(actor=actor(request), case_id=case_id, follow=wanted, request=request)
        messages.success(
            request,
            _("この申請をフォローしました。取込で進捗が変わるとメールでお知らせします。")
            if wanted
            else _("この申請のフォローをやめました。"),
        )
    return redirect("lookup:linked_detail", case_id=case_id)


@require_http_methods(["GET", "POST"])
@require_permission(Permission.LOOKUP_CASE_LOOKUP)
def preferences(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    current = selectors.preference_for_actor(me)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            services.preference_set(
                actor=me, email_on_followed_change=form.cleaned_data["email_on_followed_change"], request=request
            )
            messages.success(request, _("通知の設定を保存しました。"))
            return redirect("lookup:preferences")
    else:
        form = PreferenceForm(initial={"email_on_followed_change": current.email_on_followed_change})
    return render(request, "lookup/preferences.html", {"form": form})


@require_GET
@require_permission(Permission.LOOKUP_ALERT_REVIEW)
def alert_list(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    alerts = list(selectors.alerts_for_actor(me).select_related("acknowledged_by")[:ALERT_PAGE_SIZE])
    return render(
        request,
        "lookup/alert_list.html",
        {"alerts": alerts, "limit": ALERT_PAGE_SIZE},
    )


@require_POST
@require_permission(Permission.LOOKUP_ALERT_REVIEW)
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    me = actor(request)
    alert = selectors.alert_for_actor(me, alert_id)
    services.alert_acknowledge(actor=me, alert=alert, request=request)
    messages.success(request, _("確認済みにしました。"))
    return redirect("lookup:alert_list")
