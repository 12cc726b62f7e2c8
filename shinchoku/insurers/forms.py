"""Forms of the insurer admin's settings. They parse input; the rules live in the services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from shinchoku.accounts.forms import InviteStaffForm
from shinchoku.accounts.roles import Role
from shinchoku.cases.importing.columns import COLUMNS
from shinchoku.cases.services import MAX_HEADER_LENGTH
from shinchoku.insurers.models import RETENTION_AFTER_APPLICATION_BOUNDS, RETENTION_AFTER_CLOSURE_BOUNDS
from shinchoku.insurers.validators import validate_insurer_number
from shinchoku.lib.identifiers import check_insurer_number

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _days_field(label: StrOrPromise, help_text: str, bounds: tuple[int, int]) -> forms.IntegerField:
    """A number of days within ``bounds``, with one message for every way of missing them (empty,
    not a number, too small, too large): what the person needs is the range. ``help_text`` may
    name the bounds as ``%(low)d`` and ``%(high)d``."""
    low, high = bounds
    limits = {"low": low, "high": high}
    message = gettext("%(low)d日から%(high)d日までの整数で入力してください。") % limits
    return forms.IntegerField(
        label=label,
        help_text=help_text % limits,
        min_value=low,
        max_value=high,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), message),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-number"}),
    )


class InsurerSettingsForm(forms.Form):
    """Built per request, so the error messages (which name the bounds) follow its language."""

    care_level_enabled = forms.BooleanField(
        label=gettext_lazy("要介護度を扱う"),
        required=False,
        help_text=gettext_lazy(
            "オンにすると、取込ファイルの要介護度を保存します。事業所には、その申請に記載された"
            "居宅介護支援事業所にだけ表示し、ほかの事業所には表示しません。"
            "オフの間は、取込ファイルに要介護度の列があっても読み込みません。"
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["retention_days_after_closure"] = _days_field(
            gettext_lazy("決定・取下げ後の保存日数"),
            gettext(
                "認定日、または取下げ・却下日からこの日数が過ぎた申請を消去します。"
                "決定した申請のデータを、結果の確認に必要な間だけ残すための日数です。"
                "%(low)d日から%(high)d日までの間で指定できます。"
            ),
            RETENTION_AFTER_CLOSURE_BOUNDS,
        )
        self.fields["retention_days_after_application"] = _days_field(
            gettext_lazy("申請日からの最長保存日数"),
            gettext(
                "まだ決定していない申請も含め、申請日からこの日数が過ぎた申請は消去します。"
                "長く止まったままのデータを残し続けないための上限です。"
                "%(low)d日から%(high)d日までの間で指定できます。"
            ),
            RETENTION_AFTER_APPLICATION_BOUNDS,
        )
        self.order_fields(["retention_days_after_closure", "retention_days_after_application", "care_level_enabled"])


def _field_choices() -> list[tuple[str, str]]:
    return [("", gettext("選んでください")), *((c.field, c.header) for c in COLUMNS)]


class ColumnMappingForm(forms.Form):
    field = forms.ChoiceField(
        label=gettext_lazy("項目"),
        help_text=gettext_lazy("その列が表す項目を、標準の列名で選んでください。"),
        error_messages={
            "required": gettext_lazy("項目を一覧から選んでください。"),
            "invalid_choice": gettext_lazy("項目を一覧から選んでください。"),
        },
    )
    header = forms.CharField(
        label=gettext_lazy("列名"),
        max_length=MAX_HEADER_LENGTH,
        help_text=gettext_lazy(
            "認定支援システムのファイルの1行目に書かれている列名を、そのまま入力してください。"
            "空白、「・」、かっこ、全角と半角の違いは区別しません。"
        ),
        error_messages={
            "required": gettext_lazy("列名を入力してください。"),
            "max_length": gettext_lazy("列名は%(limit_value)d文字以内にしてください。"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per form so the placeholder follows the request's language.
        self.fields["field"].choices = _field_choices()  # type: ignore[attr-defined]  # Field lacks choices in the stubs; this one is a ChoiceField


class PledgeForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("誓約・同意事項の本文"),
        help_text=gettext_lazy(
            "事業所が利用を申請するときに全文を表示し、同意を求めます。保存すると新しい版になります。"
            "それまでの版と、どの事業所がいつどの版に同意したかは、そのまま残ります。"
        ),
        strip=False,
        error_messages={"required": gettext_lazy("誓約・同意事項の本文を入力してください。")},
        widget=forms.Textarea(attrs={"rows": 24, "class": "text-edit", "spellcheck": "false"}),
    )


class MailTextForm(forms.Form):
    subject = forms.CharField(
        label=gettext_lazy("件名"),
        help_text=gettext_lazy("1行で入力します。先頭にサービス名の印([介護認定 進捗照会])が付きます。"),
        error_messages={"required": gettext_lazy("件名を入力してください。")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = forms.CharField(
        label=gettext_lazy("本文"),
        strip=False,
        error_messages={"required": gettext_lazy("本文を入力してください。")},
        widget=forms.Textarea(attrs={"rows": 22, "class": "text-edit", "spellcheck": "false"}),
    )


class InsurerAdminForm(InviteStaffForm):
    """The insurer's admin a platform admin invites: a name and an address (the role is fixed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__([Role.INSURER_ADMIN], *args, **kwargs)
        self.fields["display_name"].label = gettext_lazy("管理者の氏名")
        self.fields["display_name"].help_text = gettext_lazy(
            "保険者(介護保険の担当課)でこのサービスを管理する職員の氏名です。"
        )
        self.fields["email"].label = gettext_lazy("管理者のメールアドレス")
        self.fields["email"].help_text = gettext_lazy(
            "本人だけが読むメールアドレス(課の共用アドレスは不可)。ログインIDになり、招待メールが届きます。"
        )


class InsurerCreateForm(InsurerAdminForm):
    """A new insurer and its first admin. A 保険者番号 whose check digit does not match is
    shown back with a warning and accepted when sent again unchanged (DESIGN §3: the check
    digit is not an official rule, so it only warns)."""

    number = forms.CharField(
        label=gettext_lazy("保険者番号"),
        max_length=12,
        validators=[validate_insurer_number],
        help_text=gettext_lazy("6桁の数字です(例: 熊本市 431007)。市区町村コードとは違います。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "input-number"}),
        error_messages={"required": gettext_lazy("保険者番号を入力してください。")},
    )
    name = forms.CharField(
        label=gettext_lazy("保険者名"),
        max_length=100,
        help_text=gettext_lazy("市区町村名、または広域連合の名前です(例: 熊本市)。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": gettext_lazy("保険者名を入力してください。")},
    )
    # The number the person has already been warned about; sending it again accepts it.
    confirmed_number = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["number", "name", "display_name", "email"]

    def clean_number(self) -> str:
        checked = check_insurer_number(str(self.cleaned_data["number"]))  # valid: the validator passed
        if checked.warning and self.data.get("confirmed_number") != checked.value:
            # Shown back in the hidden field: the same number sent again is then accepted.
            self.data = {**dict(self.data.items()), "confirmed_number": checked.value}
            raise forms.ValidationError(
                gettext("%(warning)s正しい番号であれば、このまま「登録して招待する」を押してください。")
                % {"warning": checked.warning},
                code="check_digit",
            )
        return checked.value

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data["name"]).split())
        if not name:
            raise forms.ValidationError(gettext("保険者名を入力してください。"))
        return name
