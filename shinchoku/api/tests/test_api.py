"""The import API: token authentication, JSON batches, CSV uploads, import status, tenant
isolation (T6) and a truthful OpenAPI document."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shinchoku.api.models import ApiClient
from shinchoku.api.schemas import MAX_BATCH_ITEMS, CaseIn
from shinchoku.api.services import api_client_revoke
from shinchoku.api.tests.helpers import (
    BATCH_URL,
    CSV_URL,
    bearer,
    case,
    case_count,
    csv_bytes,
    issue,
    post_batch,
    post_csv,
)
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.importing.columns import COLUMNS
from shinchoku.cases.models import Case, ImportRun
from tests.personas import Cast, signed_in_recently

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_a(cast: Cast) -> str:
    return issue(cast.a_admin)[1]


@pytest.fixture
def token_b(cast: Cast) -> str:
    return issue(cast.b_admin, name="横浜市 連携")[1]


def refusals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.API_REQUEST_REFUSED).order_by("pk"))


# ---------------------------------------------------------------------------------------------
# JSON batches
# ---------------------------------------------------------------------------------------------


def test_a_batch_creates_the_cases_of_the_tokens_insurer(cast: Cast, token_a: str) -> None:
    body = {"cases": [case("1234567890", survey_done_on="R07.02.06"), case("H000000001", "R07.01.10", "更新")]}
    response = post_batch(token_a, body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer | {"import_id": 0} == {
        "import_id": 0,
        "status": "succeeded",
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "closed": 0,
        "warnings": [],
    }
    run = ImportRun.objects.get(pk=answer["import_id"])
    assert (run.insurer, run.channel, run.actor, run.actor_label) == (
        cast.insurer_a,
        ImportRun.Channel.API,
        None,
        "api:認定支援システム",
    )
    assert case_count(cast.insurer_a.pk) == 2
    assert response["Cache-Control"] == "no-store"


def test_the_same_batch_twice_changes_nothing_and_a_change_updates(token_a: str) -> None:
    body: dict[str, Any] = {"cases": [case("1234567890"), case("1234567891", certified_on="2025-02-06")]}
    assert post_batch(token_a, body).json()["created"] == 2
    again = post_batch(token_a, body).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    body["cases"][0]["survey_done_on"] = "2025-02-06"
    changed = post_batch(token_a, body).json()
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 1)


def test_a_dry_run_checks_without_importing(cast: Cast, token_a: str) -> None:
    response = post_batch(token_a, {"dry_run": True, "cases": [case()]})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["created"]) == ("dry_run", 1)
    assert case_count(cast.insurer_a.pk) == 0


def test_a_bad_row_is_reported_by_its_place_in_the_batch_and_nothing_is_imported(cast: Cast, token_a: str) -> None:
    body = {"cases": [case("1234567890"), case("1234567891", survey_done_on="2025-13-45"), case("12345")]}
    response = post_batch(token_a, body)
    assert response.status_code == 422
    answer = response.json()
    assert answer["error_count"] == 2
    assert "何も取り込んでいません" in answer["detail"]
    by_row = {e["row"]: e for e in answer["errors"]}
    assert by_row[2]["field"] == "survey_done_on"
    assert by_row[2]["value"] == "2025-13-45"
    assert by_row[3]["field"] == "insured_number"
    assert by_row[3]["value"] == "1●●●5"  # masked, never the number itself
    assert case_count(cast.insurer_a.pk) == 0
    assert ImportRun.objects.get(pk=answer["import_id"]).status == ImportRun.Status.REJECTED


def test_unknown_fields_numbers_and_missing_fields_are_refused_before_importing(cast: Cast, token_a: str) -> None:
    body = {
        "cases": [
            case("1234567890", 申請者氏名="熊本 太郎"),
            {"insured_number": 1234567891, "applied_on": "2025-02-06", "application_kind": "1"},
            {"insured_number": "1234567892", "application_kind": "1"},
        ]
    }
    response = post_batch(token_a, body)
    assert response.status_code == 422
    errors = {(e["row"], e["field"]): e for e in response.json()["errors"]}
    assert set(errors) == {(1, "申請者氏名"), (2, "insured_number"), (3, "applied_on")}
    assert all(e["value"] == "" for e in errors.values())  # nothing sent is echoed back
    assert ImportRun.objects.count() == 0
    assert case_count(cast.insurer_a.pk) == 0


def test_an_empty_batch_and_a_wrong_shape_are_422(token_a: str) -> None:
    bodies: list[Any] = [{"cases": []}, {"cases": "nope"}, [case()], {"dry_run": "yes", "cases": [case()]}]
    for body in bodies:
        response = post_batch(token_a, body)
        assert response.status_code == 422, body
        assert response.json()["errors"]


def test_a_body_that_is_not_json_is_400(token_a: str) -> None:
    response = post_batch(token_a, b"{not json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_a_batch_of_more_than_ten_thousand_cases_is_refused_unread(cast: Cast, token_a: str) -> None:
    body = {"cases": [case(f"{i:010d}") for i in range(MAX_BATCH_ITEMS + 1)]}
    response = post_batch(token_a, body)
    assert response.status_code == 413
    assert "10,000件まで" in response.json()["detail"]
    assert ImportRun.objects.count() == 0


@override_settings(API_BATCH_MAX_BYTES=2048)
def test_a_batch_larger_than_the_byte_limit_is_refused(token_a: str) -> None:
    response = post_batch(token_a, {"cases": [case(f"{i:010d}") for i in range(40)]})
    assert response.status_code == 413
    assert "大きすぎます" in response.json()["detail"]
    assert ImportRun.objects.count() == 0


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_batch_is_not_held_to_djangos_form_size_limit(token_a: str) -> None:
    response = post_batch(token_a, {"cases": [case(f"{i:010d}") for i in range(40)]})
    assert response.status_code == 200
    assert response.json()["created"] == 40


def test_a_post_needs_no_csrf_token(token_a: str) -> None:
    response = post_batch(token_a, {"cases": [case()]}, client=Client(enforce_csrf_checks=True))
    assert response.status_code == 200


# ---------------------------------------------------------------------------------------------
# CSV uploads
# ---------------------------------------------------------------------------------------------

CSV_HEADER = ["被保険者番号", "申請日", "申請区分", "認定調査実施日"]


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig"])
def test_a_csv_upload_imports_like_the_import_page(cast: Cast, token_a: str, encoding: str) -> None:
    data = csv_bytes(
        CSV_HEADER,
        [["1234567890", "令和7年2月6日", "新規", ""], ["１２３４５６７８９１", "R07.01.10", "2", "R07.02.01"]],
        encoding=encoding,
    )
    response = post_csv(token_a, data)
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2
    run = ImportRun.objects.get(pk=response.json()["import_id"])
    assert (run.channel, run.file_name, run.actor_label) == (
        ImportRun.Channel.API,
        "export.csv",
        "api:認定支援システム",
    )
    assert case_count(cast.insurer_a.pk) == 2
    assert post_csv(token_a, data).json()["unchanged"] == 2


def test_a_csv_with_a_bad_line_is_reported_by_file_line_and_nothing_is_imported(cast: Cast, token_a: str) -> None:
    data = csv_bytes(CSV_HEADER, [["1234567890", "R07.02.06", "1", ""], ["1234567891", "R07.02.06", "9", ""]])
    response = post_csv(token_a, data)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["row"], error["field"], error["value"]) == (3, "申請区分", "9")
    assert case_count(cast.insurer_a.pk) == 0


def test_a_csv_dry_run_imports_nothing(cast: Cast, token_a: str) -> None:
    response = post_csv(token_a, csv_bytes(CSV_HEADER, [["1234567890", "R07.02.06", "1", ""]]), dry_run="true")
    assert (response.status_code, response.json()["status"]) == (200, "dry_run")
    assert case_count(cast.insurer_a.pk) == 0


def test_a_csv_upload_without_a_file_is_422(token_a: str) -> None:
    response = Client().post(reverse(CSV_URL), data={"dry_run": "maybe"}, headers=bearer(token_a))
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"file", "dry_run"}


@override_settings(CASES_IMPORT_MAX_BYTES=100)
def test_a_csv_larger_than_the_import_limit_is_refused(cast: Cast, token_a: str) -> None:
    data = csv_bytes(CSV_HEADER, [[f"{i:010d}", "R07.02.06", "1", ""] for i in range(10)])
    response = post_csv(token_a, data)
    assert response.status_code == 413
    assert "大きすぎます" in response.json()["detail"]
    assert ImportRun.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# Import status
# ---------------------------------------------------------------------------------------------


def test_the_status_of_an_import_can_be_read_back(token_a: str) -> None:
    import_id = post_batch(token_a, {"cases": [case()]}).json()["import_id"]
    response = Client().get(reverse("api:v1:import_status", kwargs={"import_id": import_id}), headers=bearer(token_a))
    assert response.status_code == 200
    answer = response.json()
    assert (answer["import_id"], answer["status"], answer["channel"], answer["created"]) == (
        import_id,
        "succeeded",
        "api",
        1,
    )


# ---------------------------------------------------------------------------------------------
# One insurer's token never reaches another insurer's data (T6)
# ---------------------------------------------------------------------------------------------


def test_rows_go_to_the_tokens_insurer_even_when_the_file_names_another(cast: Cast, token_a: str) -> None:
    header = ["保険者番号", *CSV_HEADER]
    data = csv_bytes(header, [[cast.insurer_b.number, "1234567890", "R07.02.06", "1", ""]])
    assert post_csv(token_a, data).status_code == 200
    assert (case_count(cast.insurer_a.pk), case_count(cast.insurer_b.pk)) == (1, 0)


@pytest.mark.parametrize("send", ["batch", "csv"])
def test_naming_another_insurer_in_the_request_is_refused_and_audited(cast: Cast, token_a: str, send: str) -> None:
    if send == "batch":
        response = post_batch(token_a, {"insurer_number": cast.insurer_b.number, "cases": [case()]})
    else:
        data = csv_bytes(CSV_HEADER, [["1234567890", "R07.02.06", "1", ""]])
        response = post_csv(token_a, data, insurer_number=cast.insurer_b.number)
    assert response.status_code == 403
    assert Case.objects.count() == ImportRun.objects.count() == 0
    [event] = refusals()
    assert (event.insurer, event.details["reason"]) == (cast.insurer_a, "other_insurer")


def test_naming_the_tokens_own_insurer_is_fine(cast: Cast, token_a: str) -> None:
    response = post_batch(token_a, {"insurer_number": "４３１００７", "cases": [case()]})
    assert response.status_code == 200
    assert case_count(cast.insurer_a.pk) == 1


def test_a_blank_insurer_number_names_nobody_and_a_numeric_one_is_422(cast: Cast, token_a: str) -> None:
    assert post_batch(token_a, {"insurer_number": " ", "cases": [case()]}).status_code == 200
    response = post_batch(token_a, {"insurer_number": 431007, "cases": [case("1234567891")]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "insurer_number"
    assert case_count(cast.insurer_a.pk) == 1


def test_an_insurer_field_inside_a_case_is_refused(cast: Cast, token_a: str) -> None:
    response = post_batch(token_a, {"cases": [case(insurer_number=cast.insurer_b.number)]})
    assert response.status_code == 422
    assert Case.objects.count() == 0


def test_another_insurers_import_is_not_found_like_a_missing_one(token_a: str, token_b: str) -> None:
    b_import = post_batch(token_b, {"cases": [case()]}).json()["import_id"]
    a_import = post_batch(token_a, {"cases": [case()]}).json()["import_id"]

    def status_of(import_id: int, token: str) -> Any:
        return Client().get(reverse("api:v1:import_status", kwargs={"import_id": import_id}), headers=bearer(token))

    with CaptureQueriesContext(connection) as for_others:
        others = status_of(b_import, token_a)
    with CaptureQueriesContext(connection) as for_missing:
        missing = status_of(b_import + a_import + 100, token_a)
    assert len(for_others) == len(for_missing)  # the same work: no timing oracle either
    assert others.status_code == missing.status_code == 404
    assert others.content == missing.content
    assert status_of(a_import, token_b).status_code == 404
    assert status_of(b_import, token_b).status_code == 200


def test_the_same_person_at_two_insurers_stays_two_cases(cast: Cast, token_a: str, token_b: str) -> None:
    body = {"cases": [case("1234567890")]}
    assert post_batch(token_a, body).json()["created"] == 1
    assert post_batch(token_b, body).json()["created"] == 1
    assert (case_count(cast.insurer_a.pk), case_count(cast.insurer_b.pk)) == (1, 1)


# ---------------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------------


def _refused_bodies(cast: Cast) -> dict[str, tuple[int, bytes, str]]:
    """Each way of being refused → (status, body, WWW-Authenticate)."""
    _, expired = issue(cast.a_admin, name="期限切れ")
    ApiClient.objects.filter(name="期限切れ").update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked_client, revoked = issue(cast.a_admin, name="失効済み")
    api_client_revoke(actor=cast.a_admin, client=revoked_client)
    _, fenced = issue(cast.a_admin, name="庁内のみ", allowed_ips=["192.0.2.0/24"])
    attempts: dict[str, dict[str, Any]] = {
        "no_token": {},
        "not_bearer": {"headers": {"Authorization": "Basic dXNlcjpwYXNz"}},
        "unknown_token": {"headers": bearer("shk_" + "A" * 43)},
        "garbage": {"headers": bearer("garbage")},
        "expired": {"headers": bearer(expired)},
        "revoked": {"headers": bearer(revoked)},
        "address_not_allowed": {"headers": bearer(fenced), "REMOTE_ADDR": "198.51.100.7"},
    }
    answers = {}
    for label, extra in attempts.items():
        response = Client().post(
            reverse(BATCH_URL), data=json.dumps({"cases": [case()]}), content_type="application/json", **extra
        )
        answers[label] = (response.status_code, response.content, response.get("WWW-Authenticate", ""))
    return answers


def test_every_refusal_looks_the_same_and_is_audited_with_its_reason(cast: Cast) -> None:
    answers = _refused_bodies(cast)
    assert set(answers.values()) == {(401, answers["no_token"][1], 'Bearer realm="shinchoku"')}
    assert "認証できませんでした" in json.loads(answers["no_token"][1])["detail"]
    reasons = [e.details["reason"] for e in refusals()]
    assert reasons == [
        "no_token",
        "not_bearer",
        "unknown_token",
        "unknown_token",
        "expired",
        "revoked",
        "address_not_allowed",
    ]
    assert all(e.outcome == Outcome.DENIED for e in refusals())
    assert Case.objects.count() == ImportRun.objects.count() == 0


def test_refusals_record_the_token_prefix_only(cast: Cast) -> None:
    client, token = issue(cast.a_admin)
    api_client_revoke(actor=cast.a_admin, client=client)
    post_batch(token, {"cases": [case()]})
    post_batch("shk_" + "B" * 43, {"cases": [case()]})
    post_batch("my secret password", {"cases": [case()]})
    known, unknown, garbage = refusals()
    assert (known.insurer, known.target_id, known.details["token_prefix"]) == (
        cast.insurer_a,
        str(client.pk),
        token[:12],
    )
    assert (unknown.insurer, unknown.details["token_prefix"]) == (None, "shk_BBBBBBBB")
    assert garbage.details["token_prefix"] == ""
    for event in (known, unknown, garbage):
        text = json.dumps(event.details)
        assert token not in text and "B" * 43 not in text and "secret" not in text


def test_an_allowed_address_gets_in_and_the_use_is_recorded(cast: Cast) -> None:
    client, token = issue(cast.a_admin, allowed_ips=["192.0.2.0/24", "2001:db8::/32"])
    assert client.last_used_at is None
    for address in ("192.0.2.9", "2001:db8::1", "::ffff:192.0.2.10"):
        response = post_batch(token, {"cases": [case()]}, REMOTE_ADDR=address)
        assert response.status_code == 200, address
    client.refresh_from_db()
    assert client.last_used_at is not None


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_the_forwarded_address_is_checked(cast: Cast) -> None:
    _, token = issue(cast.a_admin, allowed_ips=["192.0.2.0/24"])
    inside = post_batch(token, {"cases": [case()]}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.5")
    outside = post_batch(token, {"cases": [case()]}, REMOTE_ADDR="192.0.2.5", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert (inside.status_code, outside.status_code) == (200, 401)


def test_a_signed_in_session_is_not_an_api_credential(cast: Cast) -> None:
    browser = signed_in_recently(cast.a_staff)
    response = browser.post(reverse(BATCH_URL), data=json.dumps({"cases": [case()]}), content_type="application/json")
    assert response.status_code == 401
    assert Case.objects.count() == 0


def test_an_inactive_insurers_token_is_refused(cast: Cast, token_a: str) -> None:
    type(cast.insurer_a).objects.filter(pk=cast.insurer_a.pk).update(is_active=False)
    assert post_batch(token_a, {"cases": [case()]}).status_code == 401
    assert refusals()[-1].details["reason"] == "insurer_inactive"


def test_wrong_methods_are_405(token_a: str) -> None:
    assert Client().get(reverse(BATCH_URL), headers=bearer(token_a)).status_code == 405
    assert Client().delete(reverse(CSV_URL), headers=bearer(token_a)).status_code == 405
    status_url = reverse("api:v1:import_status", kwargs={"import_id": 1})
    assert Client().post(status_url, headers=bearer(token_a)).status_code == 405


# ---------------------------------------------------------------------------------------------
# The OpenAPI document
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def openapi(db: None) -> dict[str, Any]:
    response = Client().get(reverse("api:v1:openapi-json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def test_the_openapi_document_lists_the_endpoints_with_bearer_security(openapi: dict[str, Any]) -> None:
    assert openapi["info"]["title"] == "shinchoku import API"
    assert set(openapi["paths"]) == {"/api/v1/cases/batch", "/api/v1/cases/csv", "/api/v1/imports/{import_id}"}
    assert openapi["components"]["securitySchemes"] == {
        "ApiClientToken": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "shk_…",
            "description": openapi["components"]["securitySchemes"]["ApiClientToken"]["description"],
        }
    }
    operations = [op for path in openapi["paths"].values() for op in path.values()]
    assert len(operations) == 3
    assert all(op["security"] == [{"ApiClientToken": []}] for op in operations)


def test_the_openapi_document_declares_every_answer(openapi: dict[str, Any]) -> None:
    paths = openapi["paths"]
    for path in ("/api/v1/cases/batch", "/api/v1/cases/csv"):
        responses = paths[path]["post"]["responses"]
        assert set(responses) == {"200", "400", "401", "403", "413", "422"}
        rejected = responses["422"]["content"]["application/json"]["schema"]
        assert rejected == {"$ref": "#/components/schemas/RejectedOut"}
    assert set(paths["/api/v1/imports/{import_id}"]["get"]["responses"]) == {"200", "401", "404"}
    schemas = openapi["components"]["schemas"]
    assert {"row", "field", "value", "reason"} <= set(schemas["ProblemOut"]["properties"])
    assert set(schemas["RejectedOut"]["required"]) >= {"detail", "errors"}


def test_the_openapi_document_describes_the_request_bodies(openapi: dict[str, Any]) -> None:
    batch = openapi["paths"]["/api/v1/cases/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert batch == {"$ref": "#/components/schemas/CaseBatchIn"}
    schemas = openapi["components"]["schemas"]
    assert schemas["CaseBatchIn"]["properties"]["cases"]["maxItems"] == MAX_BATCH_ITEMS
    assert schemas["CaseBatchIn"]["properties"]["cases"]["items"] == {"$ref": "#/components/schemas/CaseIn"}
    assert set(schemas["CaseIn"]["properties"]) == {c.field for c in COLUMNS}
    upload = openapi["paths"]["/api/v1/cases/csv"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload["schema"]["properties"]["file"]["format"] == "binary"


def test_the_json_fields_are_exactly_the_import_columns() -> None:
    assert list(CaseIn.model_fields) == [c.field for c in COLUMNS]
    assert [n for n, f in CaseIn.model_fields.items() if f.is_required()] == [c.field for c in COLUMNS if c.required]


def test_the_docs_page_is_not_served_and_the_document_only_answers_get(db: None) -> None:
    assert Client().get("/api/v1/docs").status_code == 404
    assert Client().post(reverse("api:v1:openapi-json")).status_code == 405
