from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shinchoku.accounts import selectors, services
from shinchoku.accounts.forms import DisableUserForm
from shinchoku.accounts.permissions import Permission
from shinchoku.web.decorators import actor, require_permission

MANAGE_STAFF = (
    Permission.ACCOUNTS_INSURER_STAFF_MANAGE,
    Permission.ACCOUNTS_OFFICE_STAFF_MANAGE,
)


@require_GET
@login_required
def security(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    context = {
        "authenticators": Authenticator.objects.filter(user=me).order_by("type"),
        "sessions": selectors.sessions_of(me),
        "current_session_key": request.session.session_key,
    }
    return render(request, "accounts/security.html", context)


@require_POST
@login_required
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    ended = services.sessions_end_others(actor=actor(request), request=request)
    messages.success(
        request,
        ngettext(
            "ほかの端末のセッションを%(count)d件終了しました。",
            "ほかの端末のセッションを%(count)d件終了しました。",
            ended,
        )
        % {"count": ended},
    )
    return redirect("accounts:security")


@require_GET
@require_permission(*MANAGE_STAFF)
def user_list(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    context = {
        "users": selectors.users_for_actor(me),
        "shows_counts": me.can(Permission.ACCOUNTS_INSURER_STAFF_MANAGE),
    }
    return render(request, "accounts/user_list.html", context)


@require_GET
@require_permission(Permission.ACCOUNTS_INSURER_STAFF_MANAGE)
def account_counts(request: HttpRequest) -> HttpResponse:
    context = {
        "rows": selectors.account_counts_for_actor(actor(request)),
        "dormant_days": settings.ACCOUNTS_DORMANT_DAYS,
        "warning_days": settings.ACCOUNTS_DORMANT_WARNING_DAYS,
    }
    return render(request, "accounts/account_counts.html", context)


@require_http_methods(["GET", "POST"])
@require_permission(*MANAGE_STAFF)
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    me = actor(request)
    subject = selectors.user_for_actor(me, user_id)
    form = DisableUserForm(request.POST or None)
    if request.method == "POST":
        if subject.pk == me.pk:
            messages.error(request, gettext("自分自身のアカウントは無効化できません。"))
        elif form.is_valid():
            services.user_disable(
                actor=me,
                user=subject,
                reason=form.cleaned_data["reason"],
                request=request,
            )
            messages.success(
                request,
                gettext("%(name)s さんのアカウントを無効化し、すべてのセッションを終了しました。")
                % {"name": subject.display_name},
            )
            return redirect("accounts:user_detail", user_id=subject.pk)
    return render(request, "accounts/user_detail.html", {"subject": subject, "form": form})


@require_POST
@require_permission(*MANAGE_STAFF)
def user_enable(request: HttpRequest, user_id: int) -> HttpResponse:
    me = actor(request)
    subject = selectors.user_for_actor(me, user_id)
    services.user_enable(actor=me, user=subject, request=request)
    messages.success(
        request, gettext("%(name)s さんのアカウントを再び有効にしました。") % {"name": subject.display_name}
    )
    return redirect("accounts:user_detail", user_id=subject.pk)


def keep_last_second_factor(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wraps allauth's passkey removal, which would delete an account's only second factor."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and request.user.is_authenticated:
            target = Authenticator.objects.filter(user_id=request.user.pk, pk=kwargs.get("pk")).first()
            if target is not None and not get_mfa_adapter().can_delete_authenticator(target):
                messages.error(
                    request,
                    gettext(
                        "最後の二要素認証は削除できません。先に認証アプリか別のパスキーを登録してから削除してください。"
                    ),
                )
                return redirect("mfa_list_webauthn")
        return view(request, *args, **kwargs)

    return guarded
