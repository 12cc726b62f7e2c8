"""The insurer staff's pages for case data: import, import history, search, case, correction,
erasure records. The 被保険者番号 only ever travels in POST bodies and page content, never in a
URL, a redirect or a page title."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shinchoku.accounts.permissions import Permission
from shinchoku.cases import selectors, services
from shinchoku.cases.forms import CaseCorrectForm, CaseSearchForm, ImportUploadForm, size_label
from shinchoku.cases.identity import decrypt_insured
from shinchoku.cases.importing.service import ImportOutcome, cases_import
from shinchoku.cases.models import Case, ImportRun
from shinchoku.cases.progress import case_progress
from shinchoku.web.decorators import actor, require_permission

PAGE_SIZE = 50
# Problems of the last upload, kept in the uploader's session only (they hold masked values).
_PROBLEMS_KEY = "cases:import_problems:"


def _stash_problems(request: HttpRequest, outcome: ImportOutcome) -> None:
    for key in [k for k in request.session.keys() if k.startswith(_PROBLEMS_KEY)]:  # noqa: SIM118 - sessions are not iterable
        del request.session[key]
    if not outcome.problems and not outcome.warnings:
        return

    def rows(problems: list[Any]) -> list[list[object]]:
        return [[p.line, p.column, p.value, p.reason] for p in problems]

    request.session[f"{_PROBLEMS_KEY}{outcome.run.pk}"] = {
        "problems": rows(outcome.problems),
        "problem_count": outcome.problem_count,
        "warnings": rows(outcome.warnings),
    }


def _problem_dicts(rows: list[list[object]]) -> list[dict[str, object]]:
    return [{"line": r[0], "column": r[1], "value": r[2], "reason": r[3]} for r in rows]


@require_http_methods(["GET", "POST"])
@require_permission(Permission.CASES_IMPORT_RUN)
def import_upload(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    if me.insurer is None:
        raise Http404
    limit: int = settings.CASES_IMPORT_MAX_BYTES
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES, max_bytes=limit)
        if form.is_valid():
            outcome = cases_import(
                actor=me,
                actor_label=me.email,
                insurer=me.insurer,
                data=form.content,
                file_name=form.file_name,
                channel=ImportRun.Channel.UPLOAD,
                dry_run=form.cleaned_data["dry_run"],
            )
            _stash_problems(request, outcome)
            return redirect("cases:import_detail", run_id=outcome.run.pk)
    else:
        form = ImportUploadForm(max_bytes=limit)
    return render(request, "cases/import_upload.html", {"form": form, "limit": size_label(limit)})


@require_GET
@require_permission(Permission.CASES_IMPORT_HISTORY_READ)
def import_list(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    page = Paginator(selectors.import_runs_for_actor(me), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/import_list.html", {"page": page, "can_upload": me.can(Permission.CASES_IMPORT_RUN)})


@require_GET
@require_permission(Permission.CASES_IMPORT_HISTORY_READ)
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    me = actor(request)
    run = selectors.import_run_for_actor(me, run_id)
    # The operator sees counts only: even masked values are partial identifiers (seed 002).
    may_see_problems = me.can(Permission.CASES_IMPORT_RUN)
    stash = request.session.get(f"{_PROBLEMS_KEY}{run.pk}") if may_see_problems else None
    context = {
        "run": run,
        "may_see_problems": may_see_problems,
        "has_details": stash is not None,
        "problems": _problem_dicts(stash["problems"]) if stash else [],
        "problem_count": stash["problem_count"] if stash else run.error_count,
        "warnings": _problem_dicts(stash["warnings"]) if stash else [],
        "rejected": run.status == ImportRun.Status.REJECTED,
        "is_upload": run.channel == ImportRun.Channel.UPLOAD,
        "can_upload": may_see_problems,
    }
    return render(request, "cases/import_detail.html", context)


def _results(cases: list[Case]) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [{"case": case, "progress": case_progress(case, today=today)} for case in cases]


@require_http_methods(["GET", "POST"])
@require_permission(Permission.CASES_CASE_READ)
def case_search(request: HttpRequest) -> HttpResponse:
    """POST only searches: a number in a query string would land in logs and browser history."""
    me = actor(request)
    results: list[dict[str, Any]] | None = None
    if request.method == "POST":
        form = CaseSearchForm(request.POST)
        if form.is_valid():
            found = services.cases_search(actor=me, insured_number=form.cleaned_data["insured_number"], request=request)
            results = _results(found)
    else:
        form = CaseSearchForm()
    return render(request, "cases/case_search.html", {"form": form, "results": results})


@require_GET
@require_permission(Permission.CASES_CASE_READ)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    me = actor(request)
    case = services.case_view(actor=me, case_id=case_id, request=request)
    context = {
        "case": case,
        "insured_number": decrypt_insured(case.insurer.number, case.insured_number_enc),
        "progress": case_progress(case, today=timezone.localdate()),
        "show_care_level": case.insurer.care_level_enabled,
        "can_correct": me.can(Permission.CASES_CASE_CORRECT),
        "can_see_imports": me.can(Permission.CASES_IMPORT_HISTORY_READ),
    }
    return render(request, "cases/case_detail.html", context)


def _current_values(case: Case) -> list[dict[str, object]]:
    return [
        {"name": name, "label": services.field_label(name), "value": getattr(case, name)}
        for name in services.CORRECTABLE_FIELDS
    ]


@require_http_methods(["GET", "POST"])
@require_permission(Permission.CASES_CASE_CORRECT)
def case_correct(request: HttpRequest, case_id: int) -> HttpResponse:
    me = actor(request)
    case = services.case_view(actor=me, case_id=case_id, request=request, page="correct")
    if request.method == "POST":
        form = CaseCorrectForm(request.POST, case=case)
        if form.is_valid():
            try:
                services.case_correct(
                    actor=me,
                    case=case,
                    field=form.cleaned_data["field"],
                    value=form.cleaned_data["value"],
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except services.CorrectionError as exc:
                form.add_error(None, str(exc))
            else:
                label = services.field_label(form.cleaned_data["field"])
                messages.success(request, _("「%(field)s」を訂正しました。") % {"field": label})
                return redirect("cases:case_detail", case_id=case.pk)
    else:
        initial_field = request.GET.get("field", "")
        form = CaseCorrectForm(
            case=case, initial={"field": initial_field if initial_field in services.CORRECTABLE_FIELDS else ""}
        )
    return render(request, "cases/case_correct.html", {"case": case, "form": form, "current": _current_values(case)})


@require_GET
@require_permission(Permission.CASES_ERASURE_READ)
def erasure_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.erasure_records_for_actor(actor(request)), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/erasure_list.html", {"page": page})


@require_GET
@require_permission(Permission.CASES_ERASURE_READ)
def erasure_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    record = selectors.erasure_record_for_actor(actor(request), record_id)
    policy = record.policy if isinstance(record.policy, dict) else {}
    return render(request, "cases/erasure_detail.html", {"record": record, "policy": sorted(policy.items())})
