"""Forms of the care managers' pages. They parse input; whether anything matches is the
service's business, so no answer here depends on what exists (DESIGN T2)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shinchoku.cases.codes import ApplicationKind
from shinchoku.cases.forms import InsuredNumberField
from shinchoku.insurers.models import Insurer
from shinchoku.lib.identifiers import normalize
from shinchoku.web.forms import picked_or_typed_date

_INSURER_NUMBER = re.compile(r"^[0-9]{6}$")


class LookupForm(forms.Form):
    """被保険者番号 + 申請日 + 申請区分 at one of the insurers that approved the user's office.

    The insurer box offers only those insurers, but any six digits are accepted: an insurer
    that does not approve the office must get the same answer as a case that does not exist,
    not a different form error.
    """

    insurer = forms.CharField(
        label=_("保険者"),
        max_length=6,
        error_messages={"required": _("保険者を選んでください。")},
    )
    insured_number = InsuredNumberField()
    applied_on_date = forms.CharField(
        label=_("申請日(カレンダーから選ぶ)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "off"}, format="%Y-%m-%d"),
    )
    applied_on_text = forms.CharField(
        label=_("または申請日を文字で入力"),
        required=False,
        max_length=40,
        help_text=_("和暦も使えます(例: 令和7年2月6日、R7.2.6、2025/02/06)。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    application_kind = forms.ChoiceField(
        label=_("申請区分"),
        choices=[("", _("選んでください")), *ApplicationKind.choices],
        error_messages={
            "required": _("申請区分を選んでください。"),
            "invalid_choice": _("申請区分を一覧から選んでください。"),
        },
    )

    def __init__(self, *args: Any, insurers: Sequence[Insurer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insurers = list(insurers)
        field = self.fields["insurer"]
        if len(self.insurers) == 1:
            field.widget = forms.HiddenInput()
            field.initial = self.insurers[0].number
        else:
            field.widget = forms.Select(choices=[("", _("選んでください")), *((i.number, str(i)) for i in insurers)])

    def clean_insurer(self) -> str:
        value = normalize(str(self.cleaned_data["insurer"]))
        if not _INSURER_NUMBER.match(value):
            raise forms.ValidationError(_("保険者を一覧から選んでください。"), code="invalid")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ok, applied_on = picked_or_typed_date(self, "applied_on_date", "applied_on_text")
        if ok and applied_on is None:
            self.add_error("applied_on_date", _("申請日を入力してください(カレンダーから選ぶか、文字で入力)。"))
        cleaned["applied_on"] = applied_on
        return cleaned


class FollowForm(forms.Form):
    follow = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")


class PreferenceForm(forms.Form):
    email_on_followed_change = forms.BooleanField(
        label=_("フォロー中の申請が更新されたらメールで知らせる"),
        required=False,
        help_text=_(
            "取込で進捗が変わったとき、1回の取込につき1通届きます。メールには被保険者番号や日付は書かれません。"
        ),
    )
