"""The wording of the e-mails an insurer sends to care offices, editable per insurer (issue 5 item 7).

Each kind of e-mail has a default wording (``defaults/mail/<kind>.txt``: the subject on the first
line, a blank line, then the body) and may have the insurer's own (``MailText``). Both hold
placeholders in braces, such as ``{事業所名}``, which are filled by plain substitution in one
pass: an insurer's text is never rendered as a template, so nothing in it can reach settings,
objects or tags, and a value that itself looks like a placeholder (an office named
``{URL}``) is inserted as it is, not expanded again.

Rules an insurer's text must meet (``check``), each with a message naming what is wrong:

* only the placeholders of its kind (``SPECS``), written exactly; full-width braces ｛｝ are read
  as ``{}``, since a Japanese input method types those;
* every placeholder the kind requires, in the body (``{URL}`` everywhere: the office needs the
  way in; ``{理由}`` where the office must act on the insurer's reason);
* no other ``{`` or ``}`` (so Django's ``{{ … }}`` and ``{% … %}`` are refused outright);
* a one-line subject of at most 200 characters, a body of at most 5,000.

When a value is empty (no reason given with an approval), every line holding that placeholder
is left out, so "理由: {理由}" does not stand there with nothing after it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shinchoku.insurers.models import Insurer, MailText

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults" / "mail"
SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 5000


class MailKind(models.TextChoices):
    APPLICATION_RECEIVED = "application_received", _("利用申請の受付")
    DECISION_APPROVE = "decision_approve", _("審査の結果: 承認")
    DECISION_RETURN = "decision_return", _("審査の結果: 差戻し")
    DECISION_REJECT = "decision_reject", _("審査の結果: 却下")
    DECISION_SUSPEND = "decision_suspend", _("利用停止")
    DECISION_RESUME = "decision_resume", _("利用の再開")
    DECISION_REVOKE = "decision_revoke", _("承認の取消")


@dataclass(frozen=True)
class Placeholder:
    name: str
    meaning: StrOrPromise
    example: str  # what the edit page's sample shows


PLACEHOLDERS: dict[str, Placeholder] = {
    p.name: p
    for p in (
        Placeholder("事業所名", _("申請した事業所の名称"), "みどり居宅介護支援事業所"),
        Placeholder("事業所番号", _("申請した事業所の介護保険事業所番号(10桁)"), "4370100010"),
        Placeholder("保険者名", _("この保険者の名称"), "熊本市"),
        Placeholder("申請者名", _("申請した人(事業所の管理者)の氏名"), "中村 一郎"),
        Placeholder("状態", _("審査の結果の状態(承認済み、差戻し など)"), "差戻し"),
        Placeholder(
            "理由", _("審査で入力した理由・連絡事項(空のときは、その行ごと省きます)"), "指定通知書の写しが不鮮明なため"
        ),
        Placeholder("URL", _("サービスの入口のアドレス"), "https://shinchoku.example.jp/"),
        Placeholder("サービス名", _("このサービスの名称"), "介護認定 進捗照会サービス"),
    )
}

_COMMON = ("事業所名", "事業所番号", "保険者名", "URL", "サービス名")
_DECISION = (*_COMMON, "状態", "理由")


@dataclass(frozen=True)
class KindSpec:
    kind: MailKind
    when: StrOrPromise  # when the e-mail is sent, and to whom
    placeholders: tuple[str, ...]  # the ones it may use
    required: tuple[str, ...]  # the ones its body must hold


SPECS: dict[MailKind, KindSpec] = {
    s.kind: s
    for s in (
        KindSpec(
            MailKind.APPLICATION_RECEIVED,
            _("事業所がこの保険者に利用を申請したとき(再提出を含む)、申請した人に送ります。"),
            (*_COMMON, "申請者名"),
            ("URL",),
        ),
        KindSpec(
            MailKind.DECISION_APPROVE,
            _("申請を承認したとき、事業所の管理者に送ります。"),
            _DECISION,
            ("URL",),
        ),
        KindSpec(
            MailKind.DECISION_RETURN,
            _("申請を差し戻したとき、事業所の管理者に送ります。"),
            _DECISION,
            ("URL", "理由"),
        ),
        KindSpec(
            MailKind.DECISION_REJECT,
            _("申請を却下したとき、事業所の管理者に送ります。"),
            _DECISION,
            ("URL", "理由"),
        ),
        KindSpec(
            MailKind.DECISION_SUSPEND,
            _("承認済みの事業所の利用を停止したとき、事業所の管理者に送ります。"),
            _DECISION,
            ("URL", "理由"),
        ),
        KindSpec(
            MailKind.DECISION_RESUME,
            _("停止していた利用を再開したとき、事業所の管理者に送ります。"),
            _DECISION,
            ("URL",),
        ),
        KindSpec(
            MailKind.DECISION_REVOKE,
            _("承認を取り消したとき、事業所の管理者に送ります。"),
            _DECISION,
            ("URL", "理由"),
        ),
    )
}

# A candidate placeholder: anything in one pair of braces on one line. What is inside is then
# judged against the kind's list; braces left over are refused.
_TOKEN = re.compile(r"\{([^{}\n]*)\}")


def placeholder(name: str) -> str:
    return "{" + name + "}"


def normalise(text: str) -> str:
    """Full-width braces as ASCII, and one kind of line break."""
    return text.replace("｛", "{").replace("｝", "}").replace("\r\n", "\n").replace("\r", "\n")


def check(kind: MailKind, subject: str, body: str) -> None:
    """Raises ``ValidationError`` (per field, Japanese) unless the wording meets the rules above."""
    spec = SPECS[kind]
    errors: dict[str, list[str]] = {}
    for field, text in (("subject", subject), ("body", body)):
        if not text.strip():
            errors.setdefault(field, []).append(
                gettext("件名を入力してください。") if field == "subject" else gettext("本文を入力してください。")
            )
            continue
        unknown = sorted({m.group(1) for m in _TOKEN.finditer(text) if m.group(1) not in spec.placeholders})
        if unknown:
            errors.setdefault(field, []).append(
                gettext("%(names)sは、このメールでは使えない差し込み項目です。使えるのは %(allowed)s です。")
                % {
                    "names": "、".join(f"「{placeholder(n)}」" for n in unknown),
                    "allowed": "、".join(placeholder(n) for n in spec.placeholders),
                }
            )
        stray = _TOKEN.sub("", text)
        if "{" in stray or "}" in stray:
            errors.setdefault(field, []).append(
                gettext(
                    "「{」と「}」は、差し込み項目({事業所名} など)を囲むときだけ使えます。対になっていない括弧を消してください。"
                )
            )
    if "\n" in subject:
        errors.setdefault("subject", []).append(gettext("件名は1行にしてください。"))
    if len(subject) > SUBJECT_MAX_LENGTH:
        errors.setdefault("subject", []).append(
            gettext("件名は%(n)d文字以内にしてください。") % {"n": SUBJECT_MAX_LENGTH}
        )
    if len(body) > BODY_MAX_LENGTH:
        errors.setdefault("body", []).append(gettext("本文は%(n)d文字以内にしてください。") % {"n": BODY_MAX_LENGTH})
    used = {m.group(1) for m in _TOKEN.finditer(body)}
    missing = [name for name in spec.required if name not in used]
    if missing and body.strip():
        errors.setdefault("body", []).append(
            gettext("本文に %(names)s を入れてください(このメールに欠かせない項目です)。")
            % {"names": "、".join(placeholder(n) for n in missing)}
        )
    if errors:
        raise ValidationError(errors)


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each placeholder replaced by its value, in one pass.

    Lines holding a placeholder whose value is empty are left out. A placeholder without a value
    in ``values`` is left as written (``check`` keeps those out of saved wordings).
    """
    lines = []
    for line in text.split("\n"):
        names = {m.group(1) for m in _TOKEN.finditer(line)}
        if any(name in values and not values[name].strip() for name in names):
            continue
        lines.append(_TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), line))
    return "\n".join(lines)


@cache
def default_wording(kind: MailKind) -> tuple[str, str]:
    """The service's wording of ``kind``: (subject, body)."""
    raw = (DEFAULTS_DIR / f"{MailKind(kind).value}.txt").read_text(encoding="utf-8")
    subject, _blank, body = raw.partition("\n\n")
    return subject.strip(), body.rstrip("\n") + "\n"


@dataclass(frozen=True)
class Wording:
    kind: MailKind
    subject: str
    body: str
    custom: MailText | None  # None: the default wording

    @property
    def spec(self) -> KindSpec:
        return SPECS[self.kind]


def wording_for(insurer: Insurer, kind: MailKind) -> Wording:
    """The insurer's wording of ``kind`` if it has one that still meets the rules, else the default."""
    custom = MailText.objects.filter(insurer=insurer, kind=kind).select_related("updated_by").first()
    if custom is not None:
        try:
            check(kind, custom.subject, custom.body)
        except ValidationError:
            # Only possible if a kind's rules changed after the text was saved: the office still
            # gets a complete e-mail, and the insurer's page shows the text needs rewriting.
            logger.warning("mail text %s of insurer %s no longer meets the rules; default used", kind, insurer.pk)
        else:
            return Wording(kind, custom.subject, custom.body, custom)
    subject, body = default_wording(kind)
    return Wording(kind, subject, body, None)


def sample_values(kind: MailKind) -> dict[str, str]:
    return {name: PLACEHOLDERS[name].example for name in SPECS[kind].placeholders}


def render(wording: Wording, values: Mapping[str, str]) -> tuple[str, str]:
    """(subject, body) filled with ``values``, which must name exactly the kind's placeholders."""
    expected = set(wording.spec.placeholders)
    if set(values) != expected:
        raise ValueError(f"{wording.kind}: values for {sorted(expected)} expected, got {sorted(values)}")
    subject = " ".join(fill(wording.subject, values).split())  # one line, whatever a value held
    return subject, fill(wording.body, values)


def service_values() -> dict[str, str]:
    """The placeholders every kind fills the same way."""
    with translation.override(settings.LANGUAGE_CODE):
        return {"サービス名": str(settings.SERVICE_NAME)}


def message_for(insurer: Insurer, kind: MailKind, values: Mapping[str, str], to: Sequence[str]) -> mail.EmailMessage:
    """The e-mail of ``kind`` in the insurer's wording, with the service's subject prefix.

    In the service's language whoever caused it, as ``web.mail.render_message``.
    """
    subject, body = render(wording_for(insurer, kind), {**values, **service_values()})
    with translation.override(settings.LANGUAGE_CODE):
        prefix = str(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
    return mail.EmailMessage(
        subject=f"{prefix}{subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
    )
