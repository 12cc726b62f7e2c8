from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from shinchoku.accounts.permissions import Permission
from shinchoku.audit import chain, selectors
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.services import audit_record
from shinchoku.web.decorators import actor, require_permission

REVIEW_LABELS = (
    ("unlinked_lookups", _("担当外の申請の照会(要確認)")),
    ("lookup_misses", _("照会の該当なし・停止")),
)


@require_GET
@require_permission(Permission.AUDIT_TRAIL_READ)
def event_list(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    events = selectors.events_for_actor(me)
    event_type = request.GET.get("type", "")
    if event_type in EventType.values:
        events = events.filter(event_type=event_type)
    review = request.GET.get("review", "")
    if review in selectors.REVIEW_FILTERS:
        events = events.filter(selectors.REVIEW_FILTERS[review])
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/event_list.html",
        {
            "page": page,
            "event_types": EventType.choices,
            "selected_type": event_type,
            "reviews": REVIEW_LABELS,
            "selected_review": review,
            "can_verify": me.can(Permission.AUDIT_TRAIL_VERIFY),
        },
    )


@require_GET
@require_permission(Permission.AUDIT_TRAIL_READ)
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.event_for_actor(actor(request), event_id)
    return render(request, "audit/event_detail.html", {"event": event})


@require_POST
@require_permission(Permission.AUDIT_TRAIL_VERIFY)
def verify(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    report = chain.verify(selectors.chains_for_actor(me))
    audit_record(
        event_type=EventType.AUDIT_TRAIL_VERIFIED,
        actor=me,
        request=request,
        outcome=Outcome.SUCCESS if report.ok else Outcome.FAILURE,
        details={
            "chains": report.chains,
            "events": report.events,
            "breaks": [str(b) for b in report.breaks][:20],
        },
    )
    if report.ok:
        messages.success(
            request,
            gettext("監査証跡を検証しました。%(chains)d本のチェーン、%(events)d件すべて正常です。")
            % {"chains": report.chains, "events": report.events},
        )
    else:
        messages.error(
            request,
            ngettext(
                "監査証跡に不整合が見つかりました(%(count)d件)。情報セキュリティ担当に報告してください。",
                "監査証跡に不整合が見つかりました(%(count)d件)。情報セキュリティ担当に報告してください。",
                len(report.breaks),
            )
            % {"count": len(report.breaks)},
        )
    return render(request, "audit/verify_result.html", {"report": report})
