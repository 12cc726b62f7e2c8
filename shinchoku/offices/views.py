from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission
from shinchoku.cases.forms import size_label
from shinchoku.offices import proofs, selectors, services, throttle
from shinchoku.offices.decisions import RESUBMITTABLE, decisions_from
from shinchoku.offices.forms import DecisionForm, InsurerApplicationForm, RegistrationForm, ResubmitForm
from shinchoku.offices.models import ApprovalStatus, OfficeApproval, OfficeKind
from shinchoku.offices.notifications import send_email_taken_notice
from shinchoku.web.decorators import actor, require_permission
from shinchoku.web.http import client_ip

logger = logging.getLogger(__name__)


@require_GET
@require_permission(Permission.OFFICES_OFFICE_READ)
def approval_list(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    counts = selectors.approval_status_counts(me)
    context = {
        "approvals": selectors.approvals_pending_first(me),
        "counts": counts,
        "pending": counts[ApprovalStatus.PENDING],
    }
    return render(request, "offices/approval_list.html", context)


@require_GET
@require_permission(Permission.OFFICES_OFFICE_READ)
def approval_detail(request: HttpRequest, approval_id: int) -> HttpResponse:
    me = actor(request)
    approval = selectors.approval_for_actor(me, approval_id)
    return render(request, "offices/approval_detail.html", _detail_context(me, approval, DecisionForm()))


@require_POST
@require_permission(Permission.OFFICES_APPROVAL_DECIDE)
def approval_decide(request: HttpRequest, approval_id: int) -> HttpResponse:
    me = actor(request)
    approval = selectors.approval_for_actor(me, approval_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decided = services.approval_decide(
                actor=me,
                approval=approval,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                gettext("%(office)s を「%(status)s」にしました。事業所の管理者にメールでお知らせします。")
                % {"office": approval.office.name, "status": decided.get_status_display()},
            )
            return redirect("offices:approval_detail", approval_id=approval.pk)
    # Refused: the page again, as it stands now (this request read it), with the reason typed.
    return render(request, "offices/approval_detail.html", _detail_context(me, approval, form))


@require_POST
@require_permission(Permission.OFFICES_APPROVAL_DECIDE)
def approval_reinvite(request: HttpRequest, approval_id: int) -> HttpResponse:
    """Sends the office's admins who never set a password a new invitation link."""
    me = actor(request)
    approval = selectors.approval_for_actor(me, approval_id)
    try:
        invited = services.applicant_reinvite(actor=me, approval=approval, request=request)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            gettext("%(names)s さんに、パスワード設定の案内を送り直しました。前のリンクは使えなくなりました。")
            % {"names": "、".join(u.display_name for u in invited)},
        )
    return redirect("offices:approval_detail", approval_id=approval.pk)


def _detail_context(me: User, approval: OfficeApproval, form: DecisionForm) -> dict[str, Any]:
    can_decide = me.can(Permission.OFFICES_APPROVAL_DECIDE)
    admins = selectors.office_admins_of(approval)
    return {
        "admins": admins,
        "can_reinvite": can_decide and any(not admin.has_password for admin in admins),
        "approval": approval,
        "can_decide": can_decide,
        "can_open_proof": me.can(Permission.OFFICES_PROOF_READ),
        "acceptances": selectors.pledge_acceptances_of(approval),
        "decisions": decisions_from(approval.status) if can_decide else [],
        "form": form,
    }


# -- applications (issue 5 item 1) ------------------------------------------------------------

REGISTRATION_SESSION_KEY = "offices.registration"


def _signed_in_destination(user: User) -> str:
    """Where the registration pages send someone who is signed in already."""
    return "offices:applications" if user.can(Permission.OFFICES_APPLICATION_SUBMIT) else "web:home"


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """The public registration form (no login): an office applies to one or more insurers."""
    if isinstance(request.user, User):
        return redirect(_signed_in_destination(request.user))
    insurers = selectors.insurers_open_to_registration()
    if request.method != "POST":
        return _register_page(request, RegistrationForm(insurers=insurers))
    refusal = throttle.registration_attempt(client_ip(request), now=timezone.now())
    if refusal is not None:
        logger.warning(
            "office registration refused: the client passed %d submissions in %s", refusal.allowed, refusal.window
        )
        return render(request, "offices/register_limited.html", {"refusal": refusal}, status=429)
    form = RegistrationForm(request.POST, request.FILES, insurers=insurers)
    if not form.is_valid():
        return _register_page(request, form)
    data = form.cleaned_data
    summary = {
        "office": data["name"],
        "insurers": [a.insurer.name for a in form.applications],
        "email": data["applicant_email"],
    }
    try:
        services.office_register(
            number=data["number"],
            name=data["name"],
            kind=OfficeKind(data["kind"]),
            phone=data["phone"],
            contact_name=data["contact_name"],
            applicant_name=data["applicant_name"],
            applicant_email=data["applicant_email"],
            applications=form.applications,
            proof=data["proof"],
            request=request,
        )
    except services.EmailTaken:
        # The same page as a registration that went through, so the form tells nobody which
        # addresses have accounts; the address's owner learns why by e-mail.
        logger.info("office registration not made: the applicant's address has an account")
        send_email_taken_notice(data["applicant_email"])
    except ValidationError as exc:
        _add_errors(form, exc)
        return _register_page(request, form)
    request.session[REGISTRATION_SESSION_KEY] = summary
    return redirect("offices:register_done")


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _register_page(request: HttpRequest, form: RegistrationForm) -> HttpResponse:
    context = {"form": form, "max_size": size_label(settings.PROOF_MAX_BYTES)}
    return render(request, "offices/register.html", context)


@require_GET
def register_done(request: HttpRequest) -> HttpResponse:
    if isinstance(request.user, User):
        return redirect(_signed_in_destination(request.user))
    summary = request.session.get(REGISTRATION_SESSION_KEY)
    if not summary:
        return redirect("offices:register")
    return render(request, "offices/register_done.html", {"summary": summary})


@require_GET
@require_permission(Permission.OFFICES_APPLICATION_SUBMIT)
def applications(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    context = {
        "applications": selectors.applications_for_actor(me),
        "can_apply": selectors.insurers_open_to(me).exists(),
        "resubmittable": RESUBMITTABLE,
    }
    return render(request, "offices/applications.html", context)


@require_http_methods(["GET", "POST"])
@require_permission(Permission.OFFICES_APPLICATION_SUBMIT)
def application_new(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    insurers = selectors.insurers_open_to(me)
    form = InsurerApplicationForm(request.POST or None, request.FILES or None, insurers=insurers)
    if request.method == "POST" and form.is_valid():
        try:
            submitted = services.application_submit(
                actor=me, applications=form.applications, proof=form.cleaned_data["proof"], request=request
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            names = "、".join(a.insurer.name for a in submitted)
            messages.success(
                request,
                gettext("%(insurers)sに利用を申請しました。審査の結果はメールでお知らせします。") % {"insurers": names},
            )
            return redirect("offices:applications")
    context = {"form": form, "max_size": size_label(settings.PROOF_MAX_BYTES)}
    return render(request, "offices/application_new.html", context)


@require_http_methods(["GET", "POST"])
@require_permission(Permission.OFFICES_APPLICATION_SUBMIT)
def application_resubmit(request: HttpRequest, approval_id: int) -> HttpResponse:
    me = actor(request)
    approval = selectors.application_for_actor(me, approval_id)
    form = ResubmitForm(request.POST or None, request.FILES or None, insurer=approval.insurer)
    allowed = approval.status in RESUBMITTABLE
    if request.method == "POST" and allowed and form.is_valid():
        try:
            services.application_resubmit(
                actor=me,
                approval=approval,
                pledge_digest=form.pledge_digest,
                proof=form.cleaned_data["proof"],
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("%(insurer)sに申請を再提出しました。審査の結果はメールでお知らせします。")
                % {"insurer": approval.insurer.name},
            )
            return redirect("offices:applications")
    context = {
        "approval": approval,
        "allowed": allowed,
        "form": form,
        "max_size": size_label(settings.PROOF_MAX_BYTES),
    }
    return render(request, "offices/application_resubmit.html", context)


@require_GET
@require_permission(Permission.OFFICES_PROOF_READ)
def proof_download(request: HttpRequest, approval_id: int) -> HttpResponse:
    """The proof of an application to the actor's insurer, as a download (never shown inline).

    Served with the type sniffed at upload, ``nosniff`` and a sandboxing CSP, so that even a
    file that slipped past the checks cannot run as a page of this origin.
    """
    me = actor(request)
    approval = selectors.approval_with_proof_for_actor(me, approval_id)
    proof, data = services.proof_open(actor=me, approval=approval, request=request)
    response = HttpResponse(data, content_type=proof.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=proofs.download_name(proof, approval.office.number)
    )
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store"
    return response
