"""Forms of the office pages: the insurer admin's decision, and the office's applications (the
public registration, applying to further insurers, re-submitting a returned application).

They parse and check input; whether an application may be made is the services' business.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.forms.boundfield import BoundField, BoundWidget
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shinchoku.cases.forms import read_limited, size_label
from shinchoku.insurers.models import Insurer
from shinchoku.insurers.selectors import PledgeText, pledge_current
from shinchoku.lib.filetypes import Problem, UnsupportedDocument
from shinchoku.lib.identifiers import Checked, IdentifierError, check_office_number
from shinchoku.offices import proofs, selectors
from shinchoku.offices.decisions import REASON_MAX_LENGTH, Action
from shinchoku.offices.models import OfficeKind
from shinchoku.offices.proofs import ProofUpload
from shinchoku.offices.services import Application, office_number_taken_message

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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


# -- applications (issue 5 item 1) -----------------------------------------------------------


def _no_links(value: str, what: StrOrPromise) -> str:
    """Names go into e-mails sent to the address the applicant typed; no links may ride along."""
    lowered = value.lower()
    if "://" in lowered or "www." in lowered:
        raise forms.ValidationError(gettext("%(what)sにURLは入力できません。") % {"what": what}, code="link")
    return value


class OfficeNumberField(forms.CharField):
    """A 介護保険事業所番号: full-width accepted and normalised; a bad check digit is a warning."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=_("介護保険事業所番号"),
            help_text=_("指定通知書に記載の10桁の番号です。全角でも入力できます。"),
            max_length=32,
            error_messages={"required": _("介護保険事業所番号を入力してください。")},
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

    def clean(self, value: Any) -> Checked:  # the checked number, not a str
        raw = super().clean(value)
        try:
            return check_office_number(raw)
        except IdentifierError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc


def _phone(raw: str) -> str:
    value = unicodedata.normalize("NFKC", raw).strip()
    digits = re.sub(r"[\s()\-‐−ー]", "", value)
    if not re.fullmatch(r"0[0-9]{9,10}", digits) or not re.fullmatch(r"[0-9\s()\-‐−ー]+", value):
        raise forms.ValidationError(
            gettext("電話番号は、市外局番から10桁または11桁の数字で入力してください(例: 096-123-4567)。"),
            code="invalid",
        )
    return value


class ProofField(forms.FileField):
    """The proof of designation: read up to the limit, then judged by its bytes (``lib.filetypes``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=_("指定通知書(PDF・PNG・JPEG)"),
            allow_empty_file=True,  # refused in clean() with a message that names the file
            error_messages={
                "required": _("指定通知書のファイルを選んでください。"),
                "invalid": _("ファイルを読み取れませんでした。もう一度選んでください。"),
                "missing": _("ファイルを読み取れませんでした。もう一度選んでください。"),
            },
            widget=forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
            **kwargs,
        )

    def clean(self, data: Any, initial: Any = None) -> ProofUpload:  # a checked upload, not the file
        upload: UploadedFile[bytes] = super().clean(data, initial)
        name = proofs.clean_file_name(upload.name or "")
        limit = settings.PROOF_MAX_BYTES
        content = read_limited(upload, limit)
        if content is None:
            raise forms.ValidationError(
                gettext(
                    "「%(name)s」は大きすぎます(%(size)s)。%(limit)s以下のファイルにしてください。スキャンの解像度を下げるか、PDFにすると小さくなります。"
                ),
                code="too_big",
                params={"name": name, "size": size_label(upload.size or limit + 1), "limit": size_label(limit)},
            )
        try:
            return proofs.proof_upload(content, name)
        except UnsupportedDocument as exc:
            kind = exc.claimed.name if exc.claimed is not None else ""
            raise forms.ValidationError(
                _proof_problem(exc), code=exc.problem.value, params={"name": name, "kind": kind}
            ) from None


def _proof_problem(exc: UnsupportedDocument) -> str:
    if exc.problem is Problem.EMPTY:
        return gettext("「%(name)s」は空のファイル(0バイト)です。指定通知書のファイルを選び直してください。")
    if exc.problem is Problem.ACTIVE_CONTENT:
        return gettext(
            "「%(name)s」には、開くと動くスクリプトや埋め込みファイルが含まれているため、受け付けられません。"
            "スキャンした指定通知書のPDFか、「PDFとして印刷」で作ったファイルにしてください。"
        )
    if exc.problem is Problem.BROKEN and exc.claimed is not None:
        return gettext(
            "「%(name)s」は%(kind)sとして読み取れません(壊れているか、途中で切れています)。保存し直してから選んでください。"
        )
    return gettext(
        "「%(name)s」はPDF、PNG、JPEGのどれでもありません。指定通知書はPDFか画像(PNG・JPEG)で提出してください。"
        "ファイル名ではなく、ファイルの中身で判断しています。"
    )


@dataclass
class InsurerBlock:
    """One insurer on an application form: its checkbox, its pledge and the box to accept it."""

    insurer: Insurer
    pledge: PledgeText
    choice: BoundWidget | None  # None on the re-submission form (the insurer is given)
    agree: BoundField

    @property
    def digest_name(self) -> str:
        return f"pledge_digest_{self.insurer.pk}"


class _ApplicationForm(forms.Form):
    """The proof and, per insurer, the pledge to accept; subclasses say which insurers."""

    proof = ProofField()

    def _add_pledges(self, insurers: list[Insurer]) -> None:
        self.pledges = {insurer.pk: pledge_current(insurer) for insurer in insurers}
        for insurer in insurers:
            self.fields[f"pledge_{insurer.pk}"] = forms.BooleanField(
                label=gettext("%(insurer)sの誓約・同意事項に同意する") % {"insurer": insurer.name},
                required=False,
            )

    def _check_pledges(self, insurers: list[Insurer]) -> list[Application]:
        """The applications, after checking each insurer's pledge was accepted as it stands now."""
        applications = []
        for insurer in insurers:
            field = f"pledge_{insurer.pk}"
            current = self.pledges[insurer.pk]
            if self.data.get(f"pledge_digest_{insurer.pk}") != current.digest:
                # Changed since the page was shown (or forged): show the new text, unaccepted.
                data = QueryDict(mutable=True)
                data.update(self.data)
                data.pop(field, None)
                self.data = data
                self.add_error(
                    field,
                    gettext(
                        "%(insurer)sの誓約・同意事項が改められました。新しい内容を読んで、もう一度同意してください。"
                    )
                    % {"insurer": insurer.name},
                )
            elif not self.cleaned_data.get(field):
                self.add_error(
                    field,
                    gettext("%(insurer)sに申請するには、誓約・同意事項を読んで「同意する」にチェックを入れてください。")
                    % {"insurer": insurer.name},
                )
            else:
                applications.append(Application(insurer=insurer, pledge_digest=current.digest))
        return applications

    def blocks(self, insurers: list[Insurer]) -> list[InsurerBlock]:
        choices: dict[int, BoundWidget] = {}
        if "insurers" in self.fields:
            for widget in self["insurers"].subwidgets:
                choices[int(str(widget.data["value"]))] = widget
        return [
            InsurerBlock(insurer, self.pledges[insurer.pk], choices.get(insurer.pk), self[f"pledge_{insurer.pk}"])
            for insurer in insurers
        ]


class _InsurersField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def __init__(self, queryset: QuerySet[Insurer]) -> None:
        message = _("選べない保険者が指定されました。画面を読み込み直して、一覧から選んでください。")
        super().__init__(
            queryset=queryset,
            label=_("申請先の保険者"),
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "required": _("申請先の保険者を1つ以上選んでください。"),
                "invalid_choice": message,
                "invalid_pk_value": message,
            },
        )

    def label_from_instance(self, obj: Insurer) -> str:
        return gettext("%(insurer)sに利用を申請する") % {"insurer": obj.name}


class InsurerApplicationForm(_ApplicationForm):
    """Insurers to apply to, with their pledges; the public form and the signed-in one share it."""

    def __init__(self, *args: Any, insurers: QuerySet[Insurer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insurer_list = list(insurers.order_by("number"))
        self.fields["insurers"] = _InsurersField(insurers.order_by("number"))
        self._add_pledges(self.insurer_list)
        self.applications: list[Application] = []
        if not self.is_bound and len(self.insurer_list) == 1:
            self.initial["insurers"] = [self.insurer_list[0].pk]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = list(cleaned.get("insurers") or [])
        self.applications = self._check_pledges(sorted(chosen, key=lambda i: i.number))
        return cleaned

    @property
    def insurer_blocks(self) -> list[InsurerBlock]:
        return self.blocks(self.insurer_list)


class RegistrationForm(InsurerApplicationForm):
    number = OfficeNumberField()
    name = forms.CharField(
        label=_("事業所名"),
        max_length=100,
        help_text=_("指定通知書に記載の名称です。"),
        error_messages={
            "required": _("事業所名を入力してください。"),
            "max_length": _("事業所名は%(limit_value)d文字以内で入力してください。"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    kind = forms.ChoiceField(
        label=_("事業所の種別"),
        choices=[("", _("選んでください")), *OfficeKind.choices],
        help_text=_("ケアプランを作成する事業所・施設が利用できます。病院・診療所や個人の方は登録できません。"),
        error_messages={
            "required": _("事業所の種別を選んでください。"),
            "invalid_choice": _("事業所の種別は一覧から選んでください(病院・診療所や個人の方は登録できません)。"),
        },
    )
    phone = forms.CharField(
        label=_("電話番号"),
        max_length=20,
        help_text=_("保険者から申請について連絡するときの番号です。"),
        error_messages={"required": _("電話番号を入力してください。")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "class": "input-number"}),
    )
    contact_name = forms.CharField(
        label=_("担当者名"),
        max_length=100,
        help_text=_("申請について保険者からの問い合わせを受ける方の氏名です。"),
        error_messages={"required": _("担当者名を入力してください。")},
    )
    applicant_name = forms.CharField(
        label=_("氏名"),
        max_length=100,
        help_text=_("事業所の管理者としてこのサービスを使う方(申請する方ご本人)の氏名です。"),
        error_messages={"required": _("申請する方の氏名を入力してください。")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    applicant_email = forms.EmailField(
        label=_("メールアドレス"),
        max_length=254,
        help_text=_(
            "ご本人専用のメールアドレスです。ログインIDになり、パスワード設定の案内と審査の結果が届きます。事業所の共用アドレスは使わないでください。"
        ),
        error_messages={
            "required": _("メールアドレスを入力してください。"),
            "invalid": _("メールアドレスの形式が正しくありません(例: name@example.jp)。"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}),
    )

    field_order = ["number", "name", "kind", "phone", "contact_name", "applicant_name", "applicant_email", "proof"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.number_warning: str | None = None
        self.checked_number = ""

    def clean_number(self) -> str:
        checked: Checked = self.cleaned_data["number"]
        if selectors.office_number_taken(checked.value):
            raise forms.ValidationError(office_number_taken_message(), code="taken")
        if checked.warning:
            self.number_warning = checked.warning
            self.checked_number = checked.value
        return checked.value

    def clean_name(self) -> str:
        return _no_links(self.cleaned_data["name"], gettext("事業所名"))

    def clean_contact_name(self) -> str:
        return _no_links(self.cleaned_data["contact_name"], gettext("担当者名"))

    def clean_applicant_name(self) -> str:
        return _no_links(self.cleaned_data["applicant_name"], gettext("氏名"))

    def clean_applicant_email(self) -> str:
        return str(self.cleaned_data["applicant_email"]).strip().lower()

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data["phone"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.number_warning and self.data.get("number_confirmed") != self.checked_number:
            self.add_error(
                "number",
                gettext(
                    "%(warning)s 指定通知書と見比べて誤りがなければ、下の「この番号で申請する」にチェックを入れて、もう一度送信してください。"
                )
                % {"warning": self.number_warning},
            )
        return cleaned


class ResubmitForm(_ApplicationForm):
    """A returned application sent again: a new proof, and the insurer's pledge as it stands now."""

    def __init__(self, *args: Any, insurer: Insurer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insurer = insurer
        self._add_pledges([insurer])
        self.pledge_digest = ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        applications = self._check_pledges([self.insurer])
        if applications:
            self.pledge_digest = applications[0].pledge_digest
        return cleaned

    @property
    def insurer_block(self) -> InsurerBlock:
        return self.blocks([self.insurer])[0]
