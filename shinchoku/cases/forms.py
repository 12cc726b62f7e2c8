"""Forms of the staff's case pages. They parse and check input; the rules live in services."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shinchoku.cases.models import Case
from shinchoku.cases.services import CORRECTABLE_FIELDS, TEXT_FIELDS, correction_problem, field_label, normalise_text
from shinchoku.lib.identifiers import IdentifierError, check_insured_number
from shinchoku.web.forms import picked_or_typed_date

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MIB = 1024 * 1024


def size_label(size: int) -> str:
    """50 MB, 512 KB, 900 バイト: the limit as people read it (binary units, as browsers show)."""
    if size >= MIB:
        return f"{size / MIB:.4g}MB"
    if size >= 1024:
        return f"{size / 1024:.4g}KB"
    return gettext("%(size)dバイト") % {"size": size}


def read_limited(upload: UploadedFile[bytes], limit: int) -> bytes | None:
    """The upload's bytes, or None when it is larger than ``limit``.

    Django keeps small uploads in memory and spools larger ones to a temporary file; either way
    this reads chunk by chunk and stops as soon as the limit is passed, so memory stays bounded.
    """
    if upload.size is not None and upload.size > limit:
        return None
    buffer = bytearray()
    for chunk in upload.chunks():
        buffer += chunk
        if len(buffer) > limit:
            return None
    return bytes(buffer)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("取込ファイル(CSV)"),
        help_text=_("認定支援システムから出力したCSVファイル(CP932またはUTF-8)を選んでください。"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={
            "required": _("ファイルを選んでください。"),
            "empty": _("ファイルが空です。"),
            "invalid": _("ファイルを読み取れませんでした。もう一度選んでください。"),
        },
    )
    dry_run = forms.BooleanField(
        label=_("検証のみ(取り込まない)"),
        required=False,
        help_text=_("内容の確認だけを行い、データは取り込みません。"),
    )

    def __init__(self, *args: Any, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.content = b""
        self.file_name = ""

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        content = read_limited(upload, self.max_bytes)
        if content is None:
            raise forms.ValidationError(
                _("ファイルが大きすぎます。%(limit)s以下のファイルにしてください(分割して取り込めます)。"),
                code="too_big",
                params={"limit": size_label(self.max_bytes)},
            )
        self.content = content
        self.file_name = upload.name or ""
        return upload


class InsuredNumberField(forms.CharField):
    """A 被保険者番号 box: full-width accepted, normalised and checked; never autocompleted."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("被保険者番号"))
        kwargs.setdefault("help_text", _("10桁(生活保護の方は先頭がH)。全角でも入力できます。"))
        kwargs.setdefault("error_messages", {"required": _("被保険者番号を入力してください。")})
        super().__init__(
            max_length=32,
            widget=forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "inputmode": "numeric",
                    "autocapitalize": "characters",
                    "spellcheck": "false",
                    "class": "input-number",
                }
            ),
            **kwargs,
        )

    def clean(self, value: Any) -> str:
        raw = super().clean(value)
        try:
            return check_insured_number(raw)
        except IdentifierError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc


class CaseSearchForm(forms.Form):
    insured_number = InsuredNumberField()


def field_choices() -> list[tuple[str, StrOrPromise]]:
    return [
        ("", _("項目を選んでください")),
        *((name, field_label(name)) for name in CORRECTABLE_FIELDS),
    ]


class CaseCorrectForm(forms.Form):
    field = forms.ChoiceField(
        label=_("訂正する項目"),
        choices=field_choices,
        error_messages={"required": _("訂正する項目を選んでください。"), "invalid_choice": _("訂正できない項目です。")},
    )
    value_date = forms.CharField(
        label=_("新しい日付(カレンダーから選ぶ)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    value_text = forms.CharField(
        label=_("または文字で入力"),
        required=False,
        max_length=400,
        help_text=_(
            "和暦も使えます(例: R7.4.1、令和7年4月1日)。延期理由はここに入力します。両方とも空欄なら、その項目を空欄にします。"
        ),
    )
    reason = forms.CharField(
        label=_("訂正の理由"),
        max_length=200,
        help_text=_("監査証跡に記録されます。被保険者番号や氏名は書かないでください。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("訂正の理由を入力してください。")},
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not reason:
            raise forms.ValidationError(_("訂正の理由を入力してください。"), code="required")
        return reason

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        field = cleaned.get("field")
        if not field:
            return cleaned
        picked = (cleaned.get("value_date") or "").strip()
        typed = (cleaned.get("value_text") or "").strip()
        value: date | str | None
        if field in TEXT_FIELDS:
            if picked:
                self.add_error("value_date", _("延期理由は文字で入力してください。"))
                return cleaned
            value = normalise_text(typed)
        else:
            ok, value = picked_or_typed_date(self, "value_date", "value_text")
            if not ok:
                return cleaned
        problem = correction_problem(self.case, field, value, today=timezone.localdate())
        if problem is not None:
            self.add_error("value_text" if field in TEXT_FIELDS or typed else "value_date", problem)
        cleaned["value"] = value
        return cleaned
