from __future__ import annotations

from django import forms


class DisableUserForm(forms.Form):
    reason = forms.CharField(
        label="無効化の理由",
        max_length=200,
        help_text="例: 退職、異動、長期休職。監査証跡に記録されます。",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
