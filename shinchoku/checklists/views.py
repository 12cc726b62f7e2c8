"""The checklist's pages: the office admin's (overview, answer, history, PDF) and the insurer's
(every office's status and signed answers; the policy)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission
from shinchoku.checklists import selectors, services
from shinchoku.checklists.forms import AnswerForm, PolicyForm, StartForm
from shinchoku.checklists.models import Submission
from shinchoku.checklists.selectors import State
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import CareOffice
from shinchoku.web.decorators import actor, require_permission


def _own_office(me: User) -> CareOffice:
    if me.office is None:  # the permissions are an office role's; never reached otherwise
        raise Http404
    return me.office


def _own_insurer(me: User) -> Insurer:
    if me.insurer is None:  # the permissions are an insurer role's; never reached otherwise
        raise Http404
    return me.insurer


# -- the office admin ---------------------------------------------------------------------------


@require_GET
@require_permission(Permission.CHECKLISTS_CHECKLIST_ANSWER)
def overview(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    office = _own_office(me)
    draft = selectors.draft_for_actor(me)
    context = {
        "status": selectors.office_checklist_status(office),
        "draft": draft,
        "progress": selectors.draft_progress(draft) if draft else None,
        "history": list(selectors.signed_submissions_for_actor(me)),
        "version": selectors.current_version(),
        "policies": selectors.policies_for_office(office),
    }
    return render(request, "checklists/overview.html", context)


@require_POST
@require_permission(Permission.CHECKLISTS_CHECKLIST_ANSWER)
def start(request: HttpRequest) -> HttpResponse:
    form = StartForm(request.POST)
    copy_previous = form.is_valid() and form.cleaned_data["copy_previous"]
    try:
        services.submission_start(actor=actor(request), copy_previous=copy_previous, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("checklists:overview")
    return redirect("checklists:answer")


def _answer_context(form: AnswerForm, draft: Submission) -> dict[str, Any]:
    return {"form": form, "draft": draft, "version": draft.version}


@require_http_methods(["GET", "POST"])
@require_permission(Permission.CHECKLISTS_CHECKLIST_ANSWER)
def answer(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    draft = selectors.draft_for_actor(me)
    if draft is None:
        if request.method == "POST":
            messages.error(
                request,
                gettext(
                    "回答中の下書きがありません。この画面を開いた後に、ほかの管理者が署名または破棄した可能性があります。"
                    "入力した内容は保存されていません。"
                ),
            )
        return redirect("checklists:overview")
    sections = selectors.sections_of(draft.version)
    saved = selectors.answers_by_item(draft)
    form = AnswerForm(request.POST or None, sections=sections, answers=saved, draft_id=draft.pk)
    if request.method == "POST" and form.is_valid():
        try:
            if form.signing:
                signed = services.submission_sign(actor=me, submission=draft, answers=form.answers(), request=request)
            else:
                services.submission_save_draft(actor=me, submission=draft, answers=form.answers(), request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if form.signing:
                messages.success(
                    request,
                    gettext("チェックリストに署名しました。%(date)s まで有効です。")
                    % {"date": f"{signed.valid_until:%Y/%m/%d}"},
                )
                return redirect("checklists:submission_detail", submission_id=signed.pk)
            messages.success(request, gettext("下書きを保存しました。続きはいつでも「回答を続ける」から入力できます。"))
            return redirect("checklists:answer")
    return render(request, "checklists/answer.html", _answer_context(form, draft), status=200)


@require_POST
@require_permission(Permission.CHECKLISTS_CHECKLIST_ANSWER)
def discard(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    draft = selectors.draft_for_actor(me)
    if draft is not None:
        try:
            services.submission_discard(actor=me, submission=draft, request=request)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, gettext("下書きを破棄しました。"))
    return redirect("checklists:overview")


def _detail_context(submission: Submission) -> dict[str, Any]:
    answers = selectors.answers_by_item(submission)
    return {
        "submission": submission,
        "version": submission.version,
        "sections": [
            (section, [(item, answers.get(item.pk)) for item in section.items.all()])
            for section in selectors.sections_of(submission.version)
        ],
        "is_current": submission.expires_at is not None and timezone.now() < submission.expires_at,
    }


@require_GET
@require_permission(Permission.CHECKLISTS_CHECKLIST_ANSWER)
def submission_detail(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = selectors.signed_submission_for_actor(actor(request), submission_id)
    return render(request, "checklists/submission_detail.html", _detail_context(submission))


@require_GET
@require_permission(Permission.CHECKLISTS_CHECKLIST_ANSWER)
def submission_pdf(request: HttpRequest, submission_id: int) -> HttpResponse:
    me = actor(request)
    submission = selectors.signed_submission_for_actor(me, submission_id)
    content = services.submission_pdf(actor=me, submission=submission, request=request)
    response = HttpResponse(content, content_type="application/pdf")
    signed_on = timezone.localdate(submission.signed_at)
    name = f"checklist-{submission.office.number}-{signed_on:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# -- the insurer --------------------------------------------------------------------------------


@require_GET
@require_permission(Permission.CHECKLISTS_STATUS_READ)
def office_list(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    insurer = _own_insurer(me)
    now = timezone.now()
    rows = [
        (approval, selectors.status_of_annotated(approval, now=now))
        for approval in selectors.approvals_with_status_for_actor(me)
    ]
    counts = {state: sum(1 for _, status in rows if status.state is state) for state in State}
    context = {
        "rows": rows,
        "counts": counts,
        "policy": selectors.policy_of(insurer),
        "can_manage": me.can(Permission.CHECKLISTS_POLICY_MANAGE),
    }
    return render(request, "checklists/office_list.html", context)


@require_GET
@require_permission(Permission.CHECKLISTS_STATUS_READ)
def office_submission(request: HttpRequest, submission_id: int) -> HttpResponse:
    me = actor(request)
    submission = selectors.insurer_submission_for_actor(me, submission_id)
    context = _detail_context(submission)
    context["history"] = list(
        selectors.insurer_submissions_for_actor(me).filter(office=submission.office).order_by("-signed_at", "-pk")
    )
    return render(request, "checklists/office_submission.html", context)


@require_http_methods(["GET", "POST"])
@require_permission(Permission.CHECKLISTS_POLICY_MANAGE)
def policy(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    insurer = _own_insurer(me)
    current = selectors.policy_of(insurer)
    initial = {"require_for_approval": current.require_for_approval, "require_for_lookup": current.require_for_lookup}
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.policy_set(
            actor=me,
            require_for_approval=form.cleaned_data["require_for_approval"],
            require_for_lookup=form.cleaned_data["require_for_lookup"],
            request=request,
        )
        if form.has_changed():
            messages.success(request, gettext("チェックリストの提出要件を保存しました。"))
        else:
            messages.info(request, gettext("変更はありませんでした。"))
        return redirect("checklists:policy")
    now = timezone.now()
    approved = [
        status
        for approval, status in (
            (a, selectors.status_of_annotated(a, now=now)) for a in selectors.approvals_with_status_for_actor(me)
        )
        if approval.is_approved
    ]
    context = {
        "form": form,
        "insurer": insurer,
        "approved": len(approved),
        "approved_without": sum(1 for status in approved if not status.is_current),
    }
    return render(request, "checklists/policy.html", context)
