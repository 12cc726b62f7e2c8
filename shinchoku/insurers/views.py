"""The insurer admin's settings (DESIGN §2: insurer admins own the insurer's policies):
retention and 要介護度, the extra header names the importer reads in its files, the pledge
offices accept when they apply, and the wording of the e-mails sent to offices. And the
platform admin's pages: the insurers, adding one with its first admin, inviting another admin."""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shinchoku.accounts import selectors as account_selectors
from shinchoku.accounts import services as account_services
from shinchoku.accounts.models import User
from shinchoku.accounts.permissions import Permission
from shinchoku.accounts.roles import Role
from shinchoku.cases import selectors as case_selectors
from shinchoku.cases import services as case_services
from shinchoku.cases.importing.columns import COLUMNS
from shinchoku.cases.models import ColumnMapping
from shinchoku.insurers import selectors, services, texts
from shinchoku.insurers.forms import (
    ColumnMappingForm,
    InsurerAdminForm,
    InsurerCreateForm,
    InsurerSettingsForm,
    MailTextForm,
    PledgeForm,
)
from shinchoku.insurers.models import Insurer
from shinchoku.web.decorators import actor, require_permission


def _own_insurer(me: User) -> Insurer:
    if me.insurer is None:
        raise Http404
    return me.insurer


@require_http_methods(["GET", "POST"])
@require_permission(Permission.INSURERS_POLICY_MANAGE)
def insurer_settings(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    insurer = _own_insurer(me)
    initial = {
        "retention_days_after_closure": insurer.retention_days_after_closure,
        "retention_days_after_application": insurer.retention_days_after_application,
        "care_level_enabled": insurer.care_level_enabled,
    }
    form = InsurerSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.insurer_set_retention(
                actor=me,
                insurer=insurer,
                after_closure=form.cleaned_data["retention_days_after_closure"],
                after_application=form.cleaned_data["retention_days_after_application"],
                care_level_enabled=form.cleaned_data["care_level_enabled"],
                request=request,
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            if form.has_changed():
                messages.success(
                    request,
                    gettext("保険者の設定を保存しました。保存日数の変更は、次の消去処理(毎日)から適用されます。"),
                )
            else:
                messages.info(request, gettext("変更はありませんでした。"))
            return redirect("insurers:settings")
    return render(request, "insurers/settings.html", {"form": form, "insurer": insurer})


@dataclasses.dataclass
class ColumnRow:
    """One field of the import file: its built-in names and the insurer's own."""

    field: str
    header: str
    aliases: tuple[str, ...]
    required: bool
    own: list[ColumnMapping] = dataclasses.field(default_factory=list)


def _column_rows(mappings: list[ColumnMapping]) -> list[ColumnRow]:
    rows = {c.field: ColumnRow(c.field, c.header, c.aliases, c.required) for c in COLUMNS}
    for mapping in mappings:
        # An alias of a field the importer no longer knows stays visible, so it can be deleted.
        rows.setdefault(mapping.field, ColumnRow(mapping.field, mapping.field, (), False)).own.append(mapping)
    return list(rows.values())


@require_http_methods(["GET", "POST"])
@require_permission(Permission.INSURERS_POLICY_MANAGE)
def column_mappings(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    insurer = _own_insurer(me)
    form = ColumnMappingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mapping = case_services.column_mapping_add(
                actor=me,
                insurer=insurer,
                field=form.cleaned_data["field"],
                header=form.cleaned_data["header"],
                request=request,
            )
        except case_services.ColumnMappingError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(
                request,
                gettext("列名「%(header)s」を追加しました。次の取込から読み取ります。") % {"header": mapping.header},
            )
            return redirect("insurers:column_mappings")
    rows = _column_rows(list(case_selectors.column_mappings_for_actor(me)))
    return render(request, "insurers/column_mappings.html", {"form": form, "rows": rows, "insurer": insurer})


@require_POST
@require_permission(Permission.INSURERS_POLICY_MANAGE)
def column_mapping_delete(request: HttpRequest, mapping_id: int) -> HttpResponse:
    me = actor(request)
    mapping = case_selectors.column_mapping_for_actor(me, mapping_id)
    case_services.column_mapping_delete(actor=me, mapping=mapping, request=request)
    messages.success(
        request,
        gettext("列名「%(header)s」を削除しました。この列名のファイルは、次の取込から読み取れません。")
        % {"header": mapping.header},
    )
    return redirect("insurers:column_mappings")


@require_http_methods(["GET", "POST"])
@require_permission(Permission.INSURERS_POLICY_MANAGE)
def pledge(request: HttpRequest) -> HttpResponse:
    """The insurer's pledge (誓約・同意事項): the current text, a new version, and the versions so far."""
    me = actor(request)
    insurer = _own_insurer(me)
    current = selectors.pledge_current(insurer)
    form = PledgeForm(request.POST or None, initial={"text": current.text})
    if request.method == "POST" and form.is_valid():
        try:
            created = services.pledge_create(actor=me, insurer=insurer, text=form.cleaned_data["text"], request=request)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(
                request,
                gettext("誓約・同意事項の第%(version)d版を保存しました。これからの申請では、この版への同意を求めます。")
                % {"version": created.version},
            )
            return redirect("insurers:pledge")
    context = {"form": form, "insurer": insurer, "current": current, "versions": selectors.pledge_versions(insurer)}
    return render(request, "insurers/pledge.html", context)


@require_GET
@require_permission(Permission.INSURERS_POLICY_MANAGE)
def mail_texts(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    insurer = _own_insurer(me)
    wordings = [texts.wording_for(insurer, kind) for kind in texts.MailKind]
    return render(request, "insurers/mail_texts.html", {"insurer": insurer, "wordings": wordings})


def _kind(kind: str) -> texts.MailKind:
    try:
        return texts.MailKind(kind)
    except ValueError:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
@require_permission(Permission.INSURERS_POLICY_MANAGE)
def mail_text_edit(request: HttpRequest, kind: str) -> HttpResponse:
    me = actor(request)
    insurer = _own_insurer(me)
    mail_kind = _kind(kind)
    wording = texts.wording_for(insurer, mail_kind)
    form = MailTextForm(request.POST or None, initial={"subject": wording.subject, "body": wording.body})
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.mail_text_save(
                actor=me,
                insurer=insurer,
                kind=mail_kind,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                request=request,
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            if saved is None:
                messages.info(request, gettext("変更はありませんでした。"))
            else:
                messages.success(
                    request,
                    gettext("「%(kind)s」のメールの文面を保存しました(第%(version)d版)。次に送るメールから使います。")
                    % {"kind": mail_kind.label, "version": saved.version},
                )
            return redirect("insurers:mail_text_edit", kind=mail_kind.value)
    subject, body = texts.render(wording, {**texts.sample_values(mail_kind)})
    context = {
        "form": form,
        "insurer": insurer,
        "wording": wording,
        "spec": texts.SPECS[mail_kind],
        "placeholders": [texts.PLACEHOLDERS[name] for name in texts.SPECS[mail_kind].placeholders],
        "default_subject": texts.default_wording(mail_kind)[0],
        "default_body": texts.default_wording(mail_kind)[1],
        "sample_subject": f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
        "sample_body": body,
    }
    return render(request, "insurers/mail_text_edit.html", context)


@require_POST
@require_permission(Permission.INSURERS_POLICY_MANAGE)
def mail_text_reset(request: HttpRequest, kind: str) -> HttpResponse:
    me = actor(request)
    insurer = _own_insurer(me)
    mail_kind = _kind(kind)
    if services.mail_text_reset(actor=me, insurer=insurer, kind=mail_kind, request=request):
        messages.success(
            request, gettext("「%(kind)s」のメールを、標準の文面に戻しました。") % {"kind": mail_kind.label}
        )
    else:
        messages.info(request, gettext("標準の文面を使っています。変更はありませんでした。"))
    return redirect("insurers:mail_text_edit", kind=mail_kind.value)


# -- the platform admin's ---------------------------------------------------------------------


@dataclasses.dataclass
class InsurerRow:
    insurer: Insurer
    admins: list[User]


@require_GET
@require_permission(Permission.INSURERS_INSURER_MANAGE)
def insurer_list(request: HttpRequest) -> HttpResponse:
    """Every insurer with its admins and their state (invited, active, disabled). Two queries."""
    me = actor(request)
    admins: dict[int, list[User]] = {}
    for admin in account_selectors.users_for_actor(me).order_by("display_name", "email"):
        admins.setdefault(admin.insurer_id or 0, []).append(admin)
    rows = [InsurerRow(insurer, admins.get(insurer.pk, [])) for insurer in selectors.insurers_for_actor(me)]
    return render(request, "insurers/insurer_list.html", {"rows": rows})


def _put_errors(form: InsurerAdminForm, exc: ValidationError, prefix: str = "") -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        field = name.removeprefix(prefix) if prefix and name.startswith(prefix) else name
        form.add_error(field if field in form.fields else None, errors)


def _invited_message(insurer: Insurer, admin: User) -> str:
    return gettext(
        "%(insurer)s の管理者として %(name)s さん(%(email)s)に招待メールを送りました。"
        "リンクの有効期限は%(days)d日です。"
    ) % {
        "insurer": insurer.name,
        "name": admin.display_name,
        "email": admin.email,
        "days": settings.ACCOUNTS_INVITATION_DAYS,
    }


@require_http_methods(["GET", "POST"])
@require_permission(Permission.INSURERS_INSURER_MANAGE)
def insurer_create(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    form = InsurerCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            insurer, admin = services.insurer_onboard(
                actor=me,
                number=form.cleaned_data["number"],
                name=form.cleaned_data["name"],
                admin_display_name=form.cleaned_data["display_name"],
                admin_email=form.cleaned_data["email"],
                request=request,
            )
        except ValidationError as exc:
            _put_errors(form, exc, prefix="admin_")
        else:
            # Two messages, not one joined string: the sentences need a space between them in English.
            messages.success(request, gettext("保険者「%(insurer)s」を登録しました。") % {"insurer": insurer.name})
            messages.success(request, _invited_message(insurer, admin))
            return redirect("insurers:insurer_list")
    context = {"form": form, "invitation_days": settings.ACCOUNTS_INVITATION_DAYS}
    return render(request, "insurers/insurer_create.html", context)


@require_http_methods(["GET", "POST"])
@require_permission(Permission.INSURERS_INSURER_MANAGE)
def insurer_admin_invite(request: HttpRequest, insurer_id: int) -> HttpResponse:
    """Another admin for an existing insurer (its only one left, or the first never accepted)."""
    me = actor(request)
    insurer = selectors.insurer_for_actor(me, insurer_id)
    form = InsurerAdminForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            admin = account_services.staff_invite(
                actor=me,
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                role=Role.INSURER_ADMIN,
                insurer=insurer,
                request=request,
            )
        except ValidationError as exc:
            _put_errors(form, exc)
        else:
            messages.success(request, _invited_message(insurer, admin))
            return redirect("insurers:insurer_list")
    context = {"form": form, "insurer": insurer, "invitation_days": settings.ACCOUNTS_INVITATION_DAYS}
    return render(request, "insurers/insurer_admin_invite.html", context)
