from __future__ import annotations

import base64
from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account import signals as account_signals
from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import clear_totp_secret
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shinchoku.accounts import invitations, selectors, services
from shinchoku.accounts.forms import (
    ActivateTOTPForm,
    DisableUserForm,
    InviteStaffForm,
    SecondFactorResetForm,
    SetOwnPasswordForm,
)
from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission
from shinchoku.web.decorators import actor, require_permission

MANAGE_STAFF = (
    Permission.ACCOUNTS_INSURER_STAFF_MANAGE,
    Permission.ACCOUNTS_OFFICE_STAFF_MANAGE,
)
# Pages about one account: also the platform admin's, for the insurer admins they created.
MANAGE_ACCOUNT = (*MANAGE_STAFF, Permission.INSURERS_INSURER_MANAGE)


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


# allauth's decorator is untyped; it asks for the password (or a factor) again, as allauth's
# own pages that add or remove a factor do.
_recently_reauthenticated: Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]] = (
    reauthentication_required(app="allauth.mfa")
)


@require_http_methods(["GET", "POST"])
@login_required
@_recently_reauthenticated
def totp_replace(request: HttpRequest) -> HttpResponse:
    """Sets up the authenticator app again on a new or replacement phone, for someone who still
    has the old one or has just signed in with a recovery code after losing it. allauth only
    lets a second app be set up after the first is removed, and the last one cannot be removed
    (accounts.adapters): this swaps them in one step once a code from the new one is right.

    As with every change of factor, the password (or a second factor) is asked again first."""
    me = actor(request)
    if not Authenticator.objects.filter(user=me, type=Authenticator.Type.TOTP).exists():
        return redirect("mfa_activate_totp")
    form = ActivateTOTPForm(request.POST or None, user=me)
    if request.method == "POST" and form.is_valid():
        services.totp_replace(actor=me, secret=form.secret)
        clear_totp_secret(request)
        messages.success(
            request,
            gettext("新しい認証アプリを設定しました。前のスマートフォンのアプリの確認コードは、もう使えません。"),
        )
        return redirect("mfa_index")
    adapter = get_mfa_adapter()
    totp_url = adapter.build_totp_url(me, form.secret)
    svg = adapter.build_totp_svg(totp_url)
    context = {
        "form": form,
        "replacing": True,
        "totp_svg_data_uri": "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"),
    }
    return render(request, "mfa/totp/activate_form.html", context)


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
@require_permission(*MANAGE_ACCOUNT)
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
    return _render_detail(request, subject, form=form)


def _render_detail(
    request: HttpRequest,
    subject: User,
    *,
    form: DisableUserForm | None = None,
    reset_form: SecondFactorResetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "subject": subject,
        "form": form if form is not None else DisableUserForm(),
        "reset_form": reset_form if reset_form is not None else SecondFactorResetForm(),
        "back_to_insurers": actor(request).can(Permission.INSURERS_INSURER_MANAGE),
        "invitation_days": settings.ACCOUNTS_INVITATION_DAYS,
    }
    return render(request, "accounts/user_detail.html", context, status=status)


@require_POST
@require_permission(*MANAGE_ACCOUNT)
def user_enable(request: HttpRequest, user_id: int) -> HttpResponse:
    me = actor(request)
    subject = selectors.user_for_actor(me, user_id)
    services.user_enable(actor=me, user=subject, request=request)
    messages.success(
        request, gettext("%(name)s さんのアカウントを再び有効にしました。") % {"name": subject.display_name}
    )
    return redirect("accounts:user_detail", user_id=subject.pk)


@require_http_methods(["GET", "POST"])
@require_permission(*MANAGE_STAFF)
def user_invite(request: HttpRequest) -> HttpResponse:
    """Adds a person to the actor's office or insurer and mails them an invitation."""
    me = actor(request)
    form = InviteStaffForm(services.invitable_roles(me), request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invited = services.staff_invite(
                actor=me,
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                role=form.chosen_role(),
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _invited_message(invited))
            return redirect("accounts:user_list")
    return render(
        request,
        "accounts/user_invite.html",
        {"form": form, "invitation_days": settings.ACCOUNTS_INVITATION_DAYS},
    )


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _invited_message(user: User) -> str:
    return gettext(
        "%(name)s さん(%(email)s)に招待メールを送りました。リンクの有効期限は%(days)d日です。"
        "本人がパスワードと二要素認証を設定すると「有効」になります。"
    ) % {"name": user.display_name, "email": user.email, "days": settings.ACCOUNTS_INVITATION_DAYS}


@require_POST
@require_permission(*MANAGE_ACCOUNT)
def invitation_resend(request: HttpRequest, user_id: int) -> HttpResponse:
    """A new link for someone who has not set a password yet; the earlier link stops working."""
    me = actor(request)
    subject = selectors.user_for_actor(me, user_id)
    try:
        invitations.invitation_issue(actor=me, user=subject, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _invited_message(subject))
    return redirect("accounts:user_detail", user_id=subject.pk)


@require_POST
@require_permission(*MANAGE_ACCOUNT)
def invitation_cancel(request: HttpRequest, user_id: int) -> HttpResponse:
    """Makes the open link stop working (sent to a wrong address, say). The account stays,
    without a password; it can be invited again, or disabled."""
    me = actor(request)
    subject = selectors.user_for_actor(me, user_id)
    if invitations.invitation_revoke(actor=me, user=subject, request=request):
        messages.success(
            request,
            gettext("%(name)s さんへの招待を取り消しました。招待メールのリンクはもう使えません。")
            % {"name": subject.display_name},
        )
    else:
        messages.info(request, gettext("取り消す招待はありませんでした(期限切れ、または利用済みです)。"))
    return redirect("accounts:user_detail", user_id=subject.pk)


@require_POST
@require_permission(*MANAGE_ACCOUNT)
def second_factor_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    me = actor(request)
    subject = selectors.user_for_actor(me, user_id)
    if subject.pk == me.pk:
        messages.error(
            request,
            gettext(
                "自分自身の二要素認証はここではリセットできません。リカバリーコードでログインし、"
                "「アカウントとセキュリティ」から設定し直してください。"
            ),
        )
        return redirect("accounts:user_detail", user_id=subject.pk)
    form = SecondFactorResetForm(request.POST)
    if form.is_valid():
        try:
            services.second_factor_reset(actor=me, user=subject, reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                gettext(
                    "%(name)s さんの二要素認証をリセットし、すべてのセッションを終了しました。"
                    "本人にメールで知らせました。次にログインしたときに、新しく設定します。"
                )
                % {"name": subject.display_name},
            )
            return redirect("accounts:user_detail", user_id=subject.pk)
    return _render_detail(request, subject, reset_form=form, status=200)


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


# The login backend the invitation page signs a person in with (allauth's, as its login form does).
LOGIN_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def _private(response: HttpResponse) -> HttpResponse:
    """The token is in the URL: no Referer may carry it to any request this page makes, nor
    may anything here be cached (NoStoreMiddleware sets the same; this page does not rely on it).

    ``strict-origin`` sends the scheme and host only, never the path, and nothing at all from
    HTTPS to HTTP. Not ``no-referrer``: under it browsers send ``Origin: null`` with the page's
    form posts, and Django's CSRF check rightly refuses those — the password form, the logout
    button and the language switch would all fail."""
    response["Referrer-Policy"] = "strict-origin"
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the link in an invitation e-mail. Shows whose account it is and lets that person
    set a password, then signs them in and sends them on to enrol a second factor.

    A link that does not work — unknown, expired, used or revoked, or its account disabled —
    gets one page with status 410 Gone whatever the reason: "this link is no longer valid, ask
    for a new one" is all the person can act on, and telling the cases apart would only tell a
    stranger holding the link which accounts exist."""
    try:
        invitation = invitations.invitation_for_token(token)
    except invitations.InvitationUnusable:
        return _unusable(request)
    subject = invitation.user
    if request.user.is_authenticated:
        # Someone else's session on this browser (a shared office PC): accepting would sign them
        # out unasked. They log out first, and come back to the link.
        return _private(render(request, "accounts/invitation_signed_in.html", {"subject": subject}))
    form = SetOwnPasswordForm(subject, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.invitation_accept(token=token, password=form.cleaned_data["password1"], request=request)
        except invitations.InvitationUnusable:
            return _unusable(request)
        except ValidationError as exc:
            form.add_error("password1", exc)
        else:
            response = redirect("web:enrol")
            login(request, user, backend=LOGIN_BACKEND)
            # As allauth's login does, so the session is listed (and can be ended) with the
            # person's others.
            account_signals.user_logged_in.send(sender=User, request=request, response=response, user=user)
            # The password was typed in this very request: it counts as the confirmation allauth
            # asks for before a second factor is added (for its usual 5 minutes), so the person
            # is not asked for the password they chose a moment ago.
            record_authentication(request, user, method="password", email=user.email, reauthenticated=True)
            messages.success(
                request,
                gettext("パスワードを設定しました。続けて、二要素認証を設定してください。"),
            )
            return _private(response)
    context = {"subject": subject, "invitation": invitation, "form": form}
    return _private(render(request, "accounts/invitation_accept.html", context))


def _unusable(request: HttpRequest) -> HttpResponse:
    context = {"days": settings.ACCOUNTS_INVITATION_DAYS}
    return _private(render(request, "accounts/invitation_unusable.html", context, status=410))
