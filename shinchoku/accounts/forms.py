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


class DisableUserForm(forms.Form):
    reason = forms.CharField(
        label=_("無効化の理由"),
        max_length=200,
        help_text=_("例: 退職、異動、長期休職。監査証跡に記録されます。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


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
        self.fields["password1"].help_text = " ".join(password_validation.password_validators_help_texts())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", gettext("2つのパスワードが一致しません。同じパスワードを入力してください。"))
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
