from __future__ import annotations

import unicodedata
from typing import Any

from allauth.mfa.base import forms as allauth_base_forms
from allauth.mfa.totp import forms as allauth_totp_forms
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role


class DisableUserForm(forms.Form):
    reason = forms.CharField(
        label=_("無効化の理由"),
        max_length=200,
        help_text=_("例: 退職、異動、長期休職。監査証跡に記録されます。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={
            "required": _("無効化の理由を入力してください。"),
            "max_length": _("理由は%(limit_value)d文字以内で入力してください。"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shares the person's page with SecondFactorResetForm: ids of its own, so that each
        # label names its own box.
        kwargs.setdefault("auto_id", "id_disable_%s")
        super().__init__(*args, **kwargs)


class InviteStaffForm(forms.Form):
    """Who to invite: a name and an address, and the role where the actor has a choice. There
    is no password field: the person sets their own from the invitation."""

    display_name = forms.CharField(
        label=_("氏名"),
        max_length=100,
        help_text=_("本人の氏名です。画面の右上と操作の記録に表示されます。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={
            "required": _("氏名を入力してください。"),
            "max_length": _("氏名は%(limit_value)d文字以内で入力してください。"),
        },
    )
    email = forms.EmailField(
        label=_("メールアドレス"),
        max_length=254,
        help_text=_("本人だけが読むメールアドレス(共用のアドレスは不可)。ログインIDになり、招待メールが届きます。"),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "required": _("メールアドレスを入力してください。"),
            "invalid": _("メールアドレスの形式が正しくありません(例: yamada@example.jp)。"),
            "max_length": _("メールアドレスは%(limit_value)d文字以内で入力してください。"),
        },
    )

    def __init__(self, roles: list[Role], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles = roles
        if len(roles) > 1:
            self.fields["role"] = forms.ChoiceField(
                label=_("役割"),
                choices=[("", gettext("選んでください")), *((role.value, role.label) for role in roles)],
                help_text=_("役割によって使える画面が決まります。必要最小限の役割を選んでください。"),
                error_messages={
                    "required": _("役割を選んでください。"),
                    "invalid_choice": _("役割を一覧から選んでください。"),
                },
            )

    def clean_display_name(self) -> str:
        name = " ".join(str(self.cleaned_data["display_name"]).split())
        if not name:
            raise ValidationError(gettext("氏名を入力してください。"))
        return name

    def chosen_role(self) -> Role:
        return Role(self.cleaned_data["role"]) if "role" in self.fields else self.roles[0]


class SecondFactorResetForm(forms.Form):
    reason = forms.CharField(
        label=_("リセットの理由"),
        max_length=200,
        help_text=_(
            "例: スマートフォンを紛失し、リカバリーコードも手元にないと本人から電話で申し出(本人確認済み)。"
            "監査証跡に記録され、本人にもメールで伝えられます。"
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={
            "required": _("リセットの理由を入力してください。"),
            "max_length": _("理由は%(limit_value)d文字以内で入力してください。"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_reset_%s")  # see DisableUserForm
        super().__init__(*args, **kwargs)


class SetOwnPasswordForm(forms.Form):
    """The invitee chooses their password, twice; Django's validators (accounts.passwords) judge it."""

    password1 = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        error_messages={"required": _("パスワードを入力してください。")},
    )
    password2 = forms.CharField(
        label=_("パスワード(確認のためもう一度)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("確認のため、同じパスワードをもう一度入力してください。")},
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        # Plain text, one sentence per rule: Django's own HTML list would not fit in a <p>.
        self.fields["password1"].help_text = "".join(password_validation.password_validators_help_texts())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error(
                "password2",
                gettext("2つのパスワードが一致しません。もう一度、両方の欄に同じパスワードを入力してください。"),
            )
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class _HalfWidthCode:
    """Japanese input methods type ６桁 in full width; the code check wants ASCII digits."""

    cleaned_data: dict[str, Any]

    def clean_code(self) -> str:
        raw = str(self.cleaned_data.get("code", ""))
        self.cleaned_data["code"] = unicodedata.normalize("NFKC", raw).replace(" ", "").strip()
        code: str = super().clean_code()  # type: ignore[misc]
        return code


class AuthenticateForm(_HalfWidthCode, allauth_base_forms.AuthenticateForm):  # type: ignore[misc]
    pass


class ReauthenticateForm(_HalfWidthCode, allauth_base_forms.ReauthenticateForm):  # type: ignore[misc]
    pass


class ActivateTOTPForm(_HalfWidthCode, allauth_totp_forms.ActivateTOTPForm):  # type: ignore[misc]
    pass
