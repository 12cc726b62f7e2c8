from __future__ import annotations

import unicodedata
from typing import Any

from allauth.mfa.base import forms as allauth_base_forms
from allauth.mfa.totp import forms as allauth_totp_forms
from django import forms
from django.utils.translation import gettext_lazy as _


class DisableUserForm(forms.Form):
    reason = forms.CharField(
        label=_("無効化の理由"),
        max_length=200,
        help_text=_("例: 退職、異動、長期休職。監査証跡に記録されます。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


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
