"""The insurer admin's decision form: which button was pressed, and the reason. Whether the
decision is allowed now, and whether it needs its reason, is the service's business."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shinchoku.offices.decisions import REASON_MAX_LENGTH, Action


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=Action.choices,
        error_messages={
            "required": _("決定の内容をボタンで選んでください。"),
            "invalid_choice": _("決定の内容をボタンで選んでください。"),
        },
    )
    reason = forms.CharField(
        label=_("理由(事業所に通知されます)"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text=_(
            "差戻し・却下・利用停止・承認取消には必須です。承認・再開のときは、事業所への連絡事項として書けます(任意)。"
        ),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )
