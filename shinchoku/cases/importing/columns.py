"""The columns an import file may have, and the header names vendors use for them.

Municipal certification-support systems (認定支援システム) export the same facts under
different Japanese headers. Each field has a canonical header (the one our documentation and
synthetic files use) and aliases; an insurer may add its own aliases (``ColumnMapping``).
Headers are matched after NFKC normalisation with spaces and the usual separators removed, so
``主治医意見書 依頼日`` and ``主治医意見書依頼日`` are the same header.

No Django here: the importer's row logic is plain Python so it stays fast and testable.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    INSURED_NUMBER = "insured_number"
    DATE = "date"
    APPLICATION_KIND = "application_kind"
    CLOSURE = "closure"
    OFFICE_NUMBER = "office_number"
    CARE_LEVEL = "care_level"
    TEXT = "text"


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: Kind
    required: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "insured_number",
        "被保険者番号",
        Kind.INSURED_NUMBER,
        True,
        ("被保番号", "被保険者NO", "被保険者No.", "被保険者ＮＯ"),
    ),
    Column("applied_on", "申請日", Kind.DATE, True, ("申請年月日", "受付日", "申請受付日")),
    Column("application_kind", "申請区分", Kind.APPLICATION_KIND, True, ("申請種別", "申請の種類")),
    Column("survey_requested_on", "認定調査依頼日", Kind.DATE, False, ("調査依頼日",)),
    Column("survey_scheduled_on", "認定調査予定日", Kind.DATE, False, ("調査予定日",)),
    Column("survey_done_on", "認定調査実施日", Kind.DATE, False, ("調査実施日", "調査日", "認定調査日")),
    Column("opinion_requested_on", "主治医意見書依頼日", Kind.DATE, False, ("意見書依頼日",)),
    Column(
        "opinion_received_on",
        "主治医意見書受領日",
        Kind.DATE,
        False,
        ("意見書受領日", "意見書入手日", "主治医意見書入手日"),
    ),
    Column("primary_judged_on", "一次判定日", Kind.DATE, False, ("一次判定年月日",)),
    Column("committee_scheduled_on", "審査会予定日", Kind.DATE, False, ("認定審査会予定日", "介護認定審査会予定日")),
    Column(
        "committee_held_on", "審査会開催日", Kind.DATE, False, ("認定審査会開催日", "介護認定審査会開催日", "審査会日")
    ),
    Column("certified_on", "認定日", Kind.DATE, False, ("二次判定日", "認定年月日")),
    Column("result_sent_on", "結果通知発送日", Kind.DATE, False, ("通知発送日", "結果通知日", "認定結果通知日")),
    Column("closure", "取下げ・却下", Kind.CLOSURE, False, ("取下却下区分", "取下げ却下", "取下・却下")),
    Column("closed_on", "取下げ・却下日", Kind.DATE, False, ("取下却下日", "取下日", "取下げ日", "却下日")),
    Column("extension_notified_on", "延期通知日", Kind.DATE, False, ("延期通知発送日", "処理延期通知日")),
    Column("extension_reason", "延期理由", Kind.TEXT, False, ("延期の理由", "処理延期理由")),
    Column("extension_expected_on", "延期見込日", Kind.DATE, False, ("処分見込日", "認定見込日", "見込日")),
    Column(
        "office_number",
        "居宅介護支援事業所番号",
        Kind.OFFICE_NUMBER,
        False,
        ("事業所番号", "計画作成事業所番号", "居宅事業所番号"),
    ),
    Column("care_level", "要介護度", Kind.CARE_LEVEL, False, ("認定結果", "要介護状態区分", "要介護状態区分等")),
)
COLUMN_BY_FIELD: dict[str, Column] = {c.field: c for c in COLUMNS}
DATE_FIELDS: tuple[str, ...] = tuple(c.field for c in COLUMNS if c.kind is Kind.DATE)

_SEPARATORS = re.compile(r"[\s・･\.\-_()()「」【】]+")


def header_key(text: str) -> str:
    """The form headers are compared in: NFKC, upper-case, no spaces or separators."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


class HeaderError(ValueError):
    """The header row cannot be mapped; ``problems`` are Japanese sentences."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" / ".join(problems))
        self.problems = problems


def resolve_header(header: Iterable[str], extra_aliases: Mapping[str, Iterable[str]] | None = None) -> dict[str, int]:
    """Maps each known field to its column index. Unknown columns are ignored (vendors add many)."""
    lookup: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.header, column.field, *column.aliases, *(extra_aliases or {}).get(column.field, ())):
            lookup.setdefault(header_key(name), column.field)
    found: dict[str, int] = {}
    problems: list[str] = []
    for index, raw in enumerate(header):
        field = lookup.get(header_key(raw))
        if field is None:
            continue
        if field in found:
            problems.append(
                f"「{COLUMN_BY_FIELD[field].header}」にあたる列が2つあります({found[field] + 1}列目と{index + 1}列目)。"
            )
            continue
        found[field] = index
    for column in COLUMNS:
        if column.required and column.field not in found:
            problems.append(
                f"必須の列「{column.header}」が見つかりません(別名: {'、'.join(column.aliases) or 'なし'})。"
            )
    if problems:
        raise HeaderError(problems)
    return found
