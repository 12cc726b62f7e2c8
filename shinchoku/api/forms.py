from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from shinchoku.api.networks import NetworkError, parse_networks
from shinchoku.api.services import MAX_LIFETIME_YEARS, default_last_day, latest_last_day


class ApiClientForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=100,
        help_text=gettext_lazy("例: 認定支援システム 夜間連携。取込履歴と監査証跡に「api:名称」と記録されます。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("有効期限(この日まで有効)"),
        help_text=gettext_lazy("最長2年です。期限が来る前に新しいトークンを発行して切り替えてください。"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    allowed_ips = forms.CharField(
        label=gettext_lazy("接続を許可するIPアドレス"),
        required=False,
        help_text=gettext_lazy(
            "1行に1つ、IPアドレスまたはネットワーク(例: 192.0.2.10、192.0.2.0/24)。空欄にすると、どこからでも接続できます。"
        ),
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["expires_on"].initial = default_last_day(today)
        self.fields["expires_on"].widget.attrs.update(
            {"min": today.isoformat(), "max": latest_last_day(today).isoformat()}
        )

    def clean_expires_on(self) -> date:
        value: date = self.cleaned_data["expires_on"]
        if value < self.today:
            raise forms.ValidationError(gettext("有効期限には今日以降の日付を指定してください。"))
        if value > latest_last_day(self.today):
            raise forms.ValidationError(
                gettext("有効期限は%(years)d年以内(%(latest)sまで)にしてください。")
                % {"years": MAX_LIFETIME_YEARS, "latest": latest_last_day(self.today).strftime("%Y/%m/%d")}
            )
        return value

    def clean_allowed_ips(self) -> list[str]:
        try:
            return parse_networks(str(self.cleaned_data.get("allowed_ips") or "").splitlines())
        except NetworkError as exc:
            raise forms.ValidationError(str(exc)) from None
