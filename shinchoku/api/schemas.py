"""Request and response shapes of the import API (they are also its OpenAPI document).

Every value of a case is a string, exactly as the insurer's system exports it: the importer
reads 西暦 and 和暦 dates, code or word 申請区分 and full-width digits, the same as in a CSV file.
A number sent as a JSON number is refused rather than guessed at (a leading zero would be lost).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field

from shinchoku.cases.importing.columns import COLUMN_BY_FIELD, Kind

MAX_BATCH_ITEMS = 10_000

_DATE_NOTE = "西暦(2025-02-06、2025/02/06、20250206)または和暦(R07.02.06、R7.2.6、令和7年2月6日)。空欄はまだ。"


def _about(field: str) -> str:
    column = COLUMN_BY_FIELD[field]
    return f"{column.header}。" + (_DATE_NOTE if column.kind is Kind.DATE else "")


def _optional(field: str) -> Any:
    return Field(default=None, description=_about(field))


class CaseIn(BaseModel):
    """One application (認定申請); fields not sent are treated like an empty cell of a CSV file."""

    model_config = ConfigDict(extra="forbid", strict=True, title="CaseIn")

    insured_number: str = Field(description="被保険者番号(10桁、生活保護の方は先頭がH)。")
    applied_on: str = Field(description=_about("applied_on"))
    application_kind: str = Field(
        description="申請区分: 1 新規、2 更新、3 区分変更、4 職権、5 転入、6 資格喪失(死亡)、A 新規(事前)、B 更新(事前)、または「更新」「区分変更」などの語。"
    )
    survey_requested_on: str | None = _optional("survey_requested_on")
    survey_scheduled_on: str | None = _optional("survey_scheduled_on")
    survey_done_on: str | None = _optional("survey_done_on")
    opinion_requested_on: str | None = _optional("opinion_requested_on")
    opinion_received_on: str | None = _optional("opinion_received_on")
    primary_judged_on: str | None = _optional("primary_judged_on")
    committee_scheduled_on: str | None = _optional("committee_scheduled_on")
    committee_held_on: str | None = _optional("committee_held_on")
    certified_on: str | None = _optional("certified_on")
    result_sent_on: str | None = _optional("result_sent_on")
    closure: str | None = Field(default=None, description="取下げ・却下: 「取下げ」または「却下」。")
    closed_on: str | None = _optional("closed_on")
    extension_notified_on: str | None = _optional("extension_notified_on")
    extension_reason: str | None = Field(default=None, description="延期理由(200文字以内)。")
    extension_expected_on: str | None = _optional("extension_expected_on")
    office_number: str | None = Field(default=None, description="居宅介護支援事業所番号(10桁)。")
    care_level: str | None = Field(default=None, description="要介護度(保険者が扱う設定のときだけ取り込みます)。")


class CaseBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, title="CaseBatchIn")

    dry_run: bool = Field(default=False, description="true なら検証だけ行い、何も取り込みません。")
    insurer_number: str | None = Field(
        default=None,
        description="保険者番号(任意)。送る場合はトークンの保険者と同じでなければなりません(設定誤りの検出用)。取込先は常にトークンの保険者です。",
    )
    cases: list[CaseIn] = Field(min_length=1, max_length=MAX_BATCH_ITEMS, description="認定申請(1〜10,000件)。")


class ProblemOut(Schema):
    row: int = Field(
        description="JSONでは cases の何件目か(1から)、CSVではファイルの行番号(見出しが1行目)。0 は全体にかかわる問題。"
    )
    field: str = Field(
        description="項目名(CSVでは列の見出し)。ファイルやバッチ全体にかかわる問題では「ファイル全体」。"
    )
    value: str = Field(description="問題の値。被保険者番号は一部を伏せ字にしています。")
    reason: str


class ImportResultOut(Schema):
    import_id: int
    status: str = Field(description="succeeded(取込完了)または dry_run(検証のみ)。")
    rows: int
    created: int
    updated: int
    unchanged: int
    closed: int
    warnings: list[ProblemOut]


class RejectedOut(Schema):
    detail: str
    error_count: int = Field(description="見つかった問題の総数(errors は最大1,000件)。")
    errors: list[ProblemOut]
    import_id: int | None = Field(
        default=None, description="記録された取込履歴の番号(取込前の検査で止まった場合はなし)。"
    )


class MessageOut(Schema):
    detail: str


class ImportStatusOut(Schema):
    import_id: int
    status: str = Field(description="succeeded、rejected(エラーのため取込なし)、dry_run(検証のみ)。")
    channel: str = Field(description="api、upload(画面)、command(管理コマンド)。")
    rows: int
    created: int
    updated: int
    unchanged: int
    closed: int
    error_count: int
    started_at: datetime
    finished_at: datetime
