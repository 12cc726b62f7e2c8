"""The import API (DESIGN §7): the insurer's own system pushes case data, for its insurer only.

Authentication comes first (ninja runs it before anything reads the body); the insurer is the
token's, never one named in the request. Bodies are read by the endpoints themselves, after the
size checks, so a JSON batch is not held to Django's 2 MiB form limit and an oversized CSV upload
is refused before it is spooled to disk. Documents the endpoints serve are in ``schemas``.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any, BinaryIO, cast

import pydantic
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.http import require_GET
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, ValidationError
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema

from shinchoku.api.auth import ApiClientToken
from shinchoku.api.models import ApiClient
from shinchoku.api.schemas import (
    MAX_BATCH_ITEMS,
    CaseBatchIn,
    CaseIn,
    ImportResultOut,
    ImportStatusOut,
    MessageOut,
    ProblemOut,
    RejectedOut,
)
from shinchoku.api.selectors import import_run_for_client
from shinchoku.api.services import api_request_refuse
from shinchoku.cases.importing.rows import RECORD_FIELDS, RowProblem
from shinchoku.cases.importing.service import ImportOutcome, cases_import_rows, cases_import_stream
from shinchoku.cases.models import ImportRun

MIB = 1024 * 1024
DEFAULT_BATCH_MAX_BYTES = 16 * MIB
DEFAULT_CSV_MAX_BYTES = 50 * MIB
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the small form fields around the file

UNAUTHORIZED = "認証できませんでした。トークン、その有効期限、接続元のIPアドレスを確認してください。"
OTHER_INSURER = "このトークンでは、指定された保険者のデータは扱えません。"
NOT_FOUND = "見つかりません。"


def batch_max_bytes() -> int:
    return int(getattr(settings, "API_BATCH_MAX_BYTES", DEFAULT_BATCH_MAX_BYTES))


def csv_max_bytes() -> int:
    """The same limit as the import page."""
    return int(getattr(settings, "CASES_IMPORT_MAX_BYTES", DEFAULT_CSV_MAX_BYTES))


class ImportAPI(NinjaAPI):
    """Adds the JSON batch's request schema, which the endpoint validates itself, to the document."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        batch = CaseBatchIn.model_json_schema(ref_template=REF_TEMPLATE)
        schema["components"]["schemas"].update({**batch.pop("$defs", {}), "CaseBatchIn": batch})
        return schema


api = ImportAPI(
    title="shinchoku import API",
    version="1",
    description=(
        "保険者の認定支援システムから認定申請の進捗を取り込むためのAPIです。"
        "取込先は常にトークンを発行した保険者で、1件でも誤りがあれば何も取り込みません。"
        "同じ内容を何度送っても結果は変わりません。"
    ),
    urls_namespace="api:v1",
    docs_url=None,  # Swagger UI would load from a CDN, which the CSP forbids; the JSON is enough
    docs_decorator=require_GET,
    auth=ApiClientToken(),
)


# ---------------------------------------------------------------------------------------------
# Answers shared by every endpoint
# ---------------------------------------------------------------------------------------------


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = api.create_response(request, {"detail": UNAUTHORIZED}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="shinchoku"'
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": NOT_FOUND}, status=404)


@api.exception_handler(ValidationError)
def _invalid_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        ProblemOut(row=0, field=str(error["loc"][-1]), value="", reason=_reason(str(error.get("type", ""))))
        for error in exc.errors
    ]
    body = RejectedOut(detail=_rejected_detail(len(errors)), error_count=len(errors), errors=errors)
    return api.create_response(request, body.model_dump(), status=422)


_REASONS = {
    "missing": "必須の項目がありません。",
    "extra_forbidden": "この項目は使えません(項目名を確認してください)。",
    "string_type": "文字列で指定してください(数値や日付も文字列で)。",
    "bool_type": "true または false で指定してください。",
    "bool_parsing": "true または false で指定してください。",
    "list_type": "配列で指定してください。",
    "model_type": "オブジェクトで指定してください。",
    "dict_type": "オブジェクトで指定してください。",
    "too_short": "1件以上送ってください。",
    "too_long": f"{MAX_BATCH_ITEMS:,}件までにしてください。",
}


def _reason(error_type: str) -> str:
    return _REASONS.get(error_type, "値が正しくありません。")


def _rejected_detail(count: int) -> str:
    return f"{count:,}件の問題があるため、何も取り込んでいません。errors を確認して直してから、もう一度送ってください。"


def _client(request: HttpRequest) -> ApiClient:
    """The client ``ApiClientToken`` authenticated (ninja keeps it on the request)."""
    return cast(ApiClient, request.auth)  # type: ignore[attr-defined]


def _too_large(detail: str) -> Status[MessageOut]:
    return Status(413, MessageOut(detail=detail))


def _other_insurer(request: HttpRequest, client: ApiClient, number: object) -> Status[MessageOut] | None:
    """A request that names an insurer must name the token's own (a misconfigured job is refused)."""
    if not isinstance(number, str) or not number.strip():
        return None  # not named (a value of the wrong type is refused by the schema check, 422)
    if unicodedata.normalize("NFKC", number).strip() == client.insurer.number:
        return None
    api_request_refuse(request=request, reason="other_insurer", client=client)
    return Status(403, MessageOut(detail=OTHER_INSURER))


def _problem_out(problem: RowProblem, row_of: Callable[[int], int]) -> ProblemOut:
    return ProblemOut(row=row_of(problem.line), field=problem.column, value=problem.value, reason=problem.reason)


def _outcome_answer(outcome: ImportOutcome, row_of: Callable[[int], int]) -> Status[Any]:
    run = outcome.run
    if not outcome.ok:
        return Status(
            422,
            RejectedOut(
                detail=_rejected_detail(outcome.problem_count),
                error_count=outcome.problem_count,
                errors=[_problem_out(p, row_of) for p in outcome.problems],
                import_id=run.pk,
            ),
        )
    return Status(
        200,
        ImportResultOut(
            import_id=run.pk,
            status=run.status,
            rows=run.rows,
            created=run.created,
            updated=run.updated,
            unchanged=run.unchanged,
            closed=run.closed,
            warnings=[_problem_out(p, row_of) for p in outcome.warnings],
        ),
    )


def _batch_row(line: int) -> int:
    """The importer counts a header as line 1; a batch item's number is its place in ``cases``."""
    return line - 1 if line > 1 else 0


def _file_line(line: int) -> int:
    return line


def _content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


IMPORT_RESPONSES: dict[int, Any] = {
    200: ImportResultOut,
    400: MessageOut,
    401: MessageOut,
    403: MessageOut,
    413: MessageOut,
    422: RejectedOut,
}


# ---------------------------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------------------------


@api.post(
    "/cases/batch",
    url_name="cases_batch",
    response=IMPORT_RESPONSES,
    summary="認定申請をJSONで取り込む",
    description=(
        f"1回に{MAX_BATCH_ITEMS:,}件まで。項目はCSVの列と同じで、値はすべて文字列です。"
        "1件でも誤りがあれば何も取り込まず、422 で誤りの場所(cases の何件目か)を返します。"
        "同じ申請(被保険者番号・申請日・申請区分)が既にあれば更新し、内容が同じなら変更しません。"
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="CaseBatchIn")}}},
        }
    },
)
def cases_batch(request: HttpRequest) -> Status[Any]:
    client = _client(request)
    batch = _read_batch(request, client)
    if isinstance(batch, Status):
        return batch
    present: set[str] = set().union(*(case.model_fields_set for case in batch.cases))
    header = [name for name in RECORD_FIELDS if name in present]
    rows = [[_cell(case, name) for name in header] for case in batch.cases]
    outcome = cases_import_rows(
        actor=None,
        actor_label=f"api:{client.name}",
        insurer=client.insurer,
        header=header,
        rows=rows,
        channel=ImportRun.Channel.API,
        dry_run=batch.dry_run,
    )
    return _outcome_answer(outcome, _batch_row)


def _read_body(request: HttpRequest) -> bytes | Status[MessageOut]:
    """The raw body, up to the batch limit (which Django's own form limit does not apply to)."""
    limit = batch_max_bytes()
    too_big = _too_large(
        f"送信データが大きすぎます({limit // MIB} MiB まで)。分けて送るか、CSVでの取込(cases/csv)を使ってください。"
    )
    if _content_length(request) > limit:
        return too_big  # refused unread
    raw = request.read(limit + 1)
    return too_big if len(raw) > limit else raw


def _read_batch(request: HttpRequest, client: ApiClient) -> CaseBatchIn | Status[Any]:
    raw = _read_body(request)
    if isinstance(raw, Status):
        return raw
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Status(400, MessageOut(detail="本文をJSON(UTF-8)として読めません。"))
    if isinstance(data, dict):
        # Checked before the cases are: a job pointed at the wrong insurer is told so plainly.
        refused = _other_insurer(request, client, data.get("insurer_number"))
        if refused is not None:
            return refused
        items = data.get("cases")
        if isinstance(items, list) and len(items) > MAX_BATCH_ITEMS:
            return _too_large(
                f"1回に送れる認定申請は{MAX_BATCH_ITEMS:,}件までです({len(items):,}件ありました)。分けて送ってください。"
            )
    try:
        return CaseBatchIn.model_validate(data)
    except pydantic.ValidationError as exc:
        return Status(422, _schema_rejection(exc))


def _cell(case: CaseIn, name: str) -> str:
    value = getattr(case, name)
    return value if isinstance(value, str) else ""


def _schema_rejection(exc: pydantic.ValidationError) -> RejectedOut:
    errors: list[ProblemOut] = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = error["loc"]
        row, path = 0, loc
        if len(loc) >= 2 and loc[0] == "cases" and isinstance(loc[1], int):
            row, path = loc[1] + 1, loc[2:]
        errors.append(
            ProblemOut(row=row, field=".".join(str(p) for p in path), value="", reason=_reason(error["type"]))
        )
    return RejectedOut(detail=_rejected_detail(len(errors)), error_count=len(errors), errors=errors[:1000])


_TRUE = frozenset({"true", "1", "on", "yes"})
_FALSE = frozenset({"", "false", "0", "off", "no"})


@api.post(
    "/cases/csv",
    url_name="cases_csv",
    response=IMPORT_RESPONSES,
    summary="認定申請をCSVファイルで取り込む",
    description=(
        "画面からの取込と同じCSV(CP932またはUTF-8、見出し行つき、列名は別名も可)。"
        "大きさの上限も画面と同じです。1行でも誤りがあれば何も取り込まず、422 で行番号と列を返します。"
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary", "description": "CSVファイル"},
                            "dry_run": {
                                "type": "boolean",
                                "default": False,
                                "description": "true なら検証だけ行い、何も取り込みません。",
                            },
                            "insurer_number": {
                                "type": "string",
                                "description": "保険者番号(任意)。送る場合はトークンの保険者と同じでなければなりません。",
                            },
                        },
                    }
                }
            },
        }
    },
)
def cases_csv(request: HttpRequest) -> Status[Any]:
    client = _client(request)
    limit = csv_max_bytes()
    too_big = _too_large(f"ファイルが大きすぎます({limit // MIB} MiB まで)。")
    if _content_length(request) > limit + MULTIPART_OVERHEAD:
        return too_big  # refused before Django spools the upload to disk
    try:
        upload = request.FILES.get("file")
        form = request.POST
    except MultiPartParserError:
        return Status(400, MessageOut(detail="multipart/form-data として読めません。"))
    refused = _other_insurer(request, client, form.get("insurer_number"))
    if refused is not None:
        return refused
    dry_run_text = str(form.get("dry_run", "")).strip().lower()
    problems: list[ProblemOut] = []
    if upload is None:
        problems.append(ProblemOut(row=0, field="file", value="", reason="CSVファイル(file)がありません。"))
    if dry_run_text not in _TRUE | _FALSE:
        problems.append(ProblemOut(row=0, field="dry_run", value="", reason=_REASONS["bool_parsing"]))
    if problems or upload is None:
        return Status(
            422, RejectedOut(detail=_rejected_detail(len(problems)), error_count=len(problems), errors=problems)
        )
    if upload.size is None or upload.size > limit or upload.file is None:
        return too_big
    stream = cast(BinaryIO, upload.file)  # BytesIO in memory, a temporary file past 2.5 MB
    stream.seek(0)
    outcome = cases_import_stream(
        actor=None,
        actor_label=f"api:{client.name}",
        insurer=client.insurer,
        stream=stream,
        file_name=upload.name or "",
        channel=ImportRun.Channel.API,
        dry_run=dry_run_text in _TRUE,
    )
    return _outcome_answer(outcome, _file_line)


@api.get(
    "/imports/{int:import_id}",
    url_name="import_status",
    response={200: ImportStatusOut, 401: MessageOut, 404: MessageOut},
    summary="取込の結果を確かめる",
    description="このトークンの保険者の取込(画面・API・管理コマンドのいずれか)の結果。ほかの保険者の番号は 404。",
)
def import_status(request: HttpRequest, import_id: int) -> Status[ImportStatusOut]:
    run = import_run_for_client(_client(request), import_id)
    return Status(
        200,
        ImportStatusOut(
            import_id=run.pk,
            status=run.status,
            channel=run.channel,
            rows=run.rows,
            created=run.created,
            updated=run.updated,
            unchanged=run.unchanged,
            closed=run.closed,
            error_count=run.error_count,
            started_at=run.started_at,
            finished_at=run.finished_at,
        ),
    )
