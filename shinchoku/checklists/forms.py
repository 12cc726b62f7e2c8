"""The checklist's answer form and the insurer's policy form. The answer form parses and points
errors at the item they concern; what may be saved or signed is the service's business."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shinchoku.checklists.models import NOTE_MAX_LENGTH, Answer, ChecklistItem, ChecklistSection, Choice
from shinchoku.checklists.services import AnswerInput

SAVE = "save"
SIGN = "sign"
UNANSWERED = "unanswered"


@dataclass(frozen=True)
class ItemFields:
    """One item and its two fields, for the template."""

    item: ChecklistItem
    choice: forms.BoundField
    note: forms.BoundField

    @property
    def anchor(self) -> str:
        return f"item-{self.item.label}"


class NoteField(forms.CharField):
    def to_python(self, value: Any) -> str:
        # Browsers send line ends as CRLF: count each as one character, as the service does.
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n") if isinstance(text, str) else ""


class AnswerForm(forms.Form):
    """Every item of a version: a チェック結果 (radio buttons) and a 補足 (free text).

    Fields are named by the item's number (``choice-3-5``, ``note-3-5``). Saving a draft takes
    any subset; signing (``action=sign``) wants every item answered and the confirmation ticked.
    """

    draft = forms.IntegerField(widget=forms.HiddenInput, required=False)
    action = forms.ChoiceField(choices=[(SAVE, _("下書きを保存")), (SIGN, _("署名して提出"))])
    confirm = forms.BooleanField(
        label=_("上の回答が、この事業所のいまの取り組みのとおりであることを確認しました。"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        sections: list[ChecklistSection],
        answers: dict[int, Answer],
        draft_id: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sections = sections
        self.items = [item for section in sections for item in section.items.all()]
        self.fields["draft"].initial = draft_id
        self.draft_id = draft_id
        self.missing: list[ChecklistItem] = []  # items left unanswered, when signing
        for item in self.items:
            saved = answers.get(item.pk)
            self.fields[f"choice-{item.label}"] = forms.ChoiceField(
                label=_("チェック結果"),
                choices=Choice.choices,
                required=False,
                widget=forms.RadioSelect,
                initial=saved.choice if saved else "",
                error_messages={
                    "invalid_choice": _("「できている」「一部できている」「できていない」から選んでください。")
                },
            )
            self.fields[f"note-{item.label}"] = NoteField(
                label=_("チェック結果補足(任意)"),
                required=False,
                max_length=NOTE_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 1}),
                initial=saved.note if saved else "",
                error_messages={
                    "max_length": _("補足は%(limit_value)d文字以内で書いてください(いま%(show_value)d文字)。")
                },
            )

    @property
    def signing(self) -> bool:
        return self.data.get("action") == SIGN

    def grouped(self) -> list[tuple[ChecklistSection, list[ItemFields]]]:
        return [
            (
                section,
                [
                    ItemFields(item, self[f"choice-{item.label}"], self[f"note-{item.label}"])
                    for item in section.items.all()
                ],
            )
            for section in self.sections
        ]

    def problems(self) -> list[tuple[str, str]]:
        """(anchor, message) for the field errors other than "not answered" (the summary lists
        those as one sentence, ``missing``), in page order."""
        found: list[tuple[str, str]] = []
        data = self.errors.as_data()
        for item in self.items:
            for kind in ("choice", "note"):
                for error in data.get(f"{kind}-{item.label}", []):
                    if error.code != UNANSWERED:
                        found.extend((f"item-{item.label}", f"{item.label}: {m}") for m in error.messages)
        found.extend(("id_confirm", m) for error in data.get("confirm", []) for m in error.messages)
        return found

    def clean_draft(self) -> int:
        value: int = self.cleaned_data["draft"]
        if value != self.draft_id:
            raise forms.ValidationError(
                _("この画面を開いた後に、下書きが署名または破棄されました。最新の状態を確認してください。"),
                code="stale",
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("draft") != self.draft_id:
            # The page was for a draft that has since been signed or discarded (and maybe replaced).
            self.add_error(
                None,
                forms.ValidationError(
                    _(
                        "この画面を開いた後に、下書きが署名または破棄されました。入力した内容は保存されていません。最新の状態を確認してください。"
                    ),
                    code="stale",
                ),
            )
        if self.signing:
            for item in self.items:
                name = f"choice-{item.label}"
                if not cleaned.get(name) and not self.has_error(name):
                    self.missing.append(item)
                    self.add_error(name, forms.ValidationError(_("チェック結果を選んでください。"), code=UNANSWERED))
            if not cleaned.get("confirm"):
                self.add_error("confirm", _("署名するには、回答の内容を確認したことのチェックを入れてください。"))
        return cleaned

    def answers(self) -> dict[int, AnswerInput]:
        return {
            item.pk: AnswerInput(
                choice=self.cleaned_data.get(f"choice-{item.label}") or "",
                note=self.cleaned_data.get(f"note-{item.label}") or "",
            )
            for item in self.items
        }


class StartForm(forms.Form):
    copy_previous = forms.BooleanField(required=False)


class PolicyForm(forms.Form):
    require_for_approval = forms.BooleanField(
        label=_("事業所を承認するときに、有効なチェックリストを条件にする"),
        help_text=_(
            "有効なチェックリストがない事業所は「承認する」ことができなくなります。承認済みの事業所には影響しません。"
        ),
        required=False,
    )
    require_for_lookup = forms.BooleanField(
        label=_("照会に、有効なチェックリストを条件にする"),
        help_text=_(
            "承認済みの事業所でも、チェックリストが未提出または期限切れのあいだは、この保険者の申請を照会できません。"
            "変更は、事業所の次の操作からすぐに有効になります。"
        ),
        required=False,
    )
