"""An insurer's own header names for the import file (列名の対応): the admin lists, adds and
deletes them; an alias may not shadow another field's name; every change is audited; and an
added alias is what lets a file with that header import."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.models import ColumnMapping, ImportRun
from shinchoku.cases.selectors import column_mapping_for_actor, column_mappings_for_actor
from shinchoku.cases.services import ColumnMappingError, column_mapping_add, column_mapping_delete
from shinchoku.cases.tests.files import HEADER, row, run_import, table
from tests.personas import Cast, signed_in_recently

pytestmark = pytest.mark.django_db

LIST_URL = "/settings/column-mappings/"


def delete_url(mapping: ColumnMapping) -> str:
    return reverse("insurers:column_mapping_delete", kwargs={"mapping_id": mapping.pk})


def add(cast: Cast, field: str = "insured_number", header: str = "受給者番号") -> ColumnMapping:
    return column_mapping_add(actor=cast.a_admin, insurer=cast.insurer_a, field=field, header=header)


def events(event_type: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("pk"))


def page_text(content: bytes) -> str:
    """The page without what differs per render (CSRF token, CSP nonce)."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())
    return re.sub(r'nonce="[^"]+"', "", text)


def post_add(cast: Cast, field: str, header: str) -> tuple[int, str]:
    response = signed_in_recently(cast.a_admin).post(LIST_URL, {"field": field, "header": header}, follow=True)
    return response.status_code, response.content.decode()


# ---------------------------------------------------------------------------------------------
# The list
# ---------------------------------------------------------------------------------------------


def test_the_urls_are_the_settings_routes(cast: Cast) -> None:
    assert reverse("insurers:column_mappings") == LIST_URL
    assert delete_url(add(cast)).startswith(LIST_URL)


def test_the_admin_sees_the_built_in_names_and_the_insurers_own_aliases(cast: Cast) -> None:
    mine = add(cast)
    column_mapping_add(actor=cast.b_admin, insurer=cast.insurer_b, field="applied_on", header="横浜の申請日")
    page = signed_in_recently(cast.a_admin).get(LIST_URL).content.decode()
    assert "被保険者番号" in page
    assert "被保番号" in page  # a built-in alias
    assert "<code>insured_number</code>" in page
    assert "受給者番号" in page
    assert delete_url(mine) in page
    assert "横浜の申請日" not in page
    assert reverse("insurers:settings") in page


def test_the_selector_shows_each_admin_only_their_insurers_aliases(cast: Cast) -> None:
    mine = add(cast)
    theirs = column_mapping_add(actor=cast.b_admin, insurer=cast.insurer_b, field="applied_on", header="横浜の申請日")
    assert list(column_mappings_for_actor(cast.a_admin)) == [mine]
    assert list(column_mappings_for_actor(cast.b_admin)) == [theirs]
    assert not column_mappings_for_actor(cast.a_staff).exists()
    with pytest.raises(Http404):
        column_mapping_for_actor(cast.b_admin, mine.pk)


# ---------------------------------------------------------------------------------------------
# Adding
# ---------------------------------------------------------------------------------------------


def test_an_admin_adds_an_alias_and_it_is_audited(cast: Cast) -> None:
    status, page = post_add(cast, "survey_done_on", " 訪問調査日 ")
    assert status == 200
    assert "列名「訪問調査日」を追加しました。" in page
    mapping = ColumnMapping.objects.get()
    assert (mapping.insurer, mapping.field, mapping.header) == (cast.insurer_a, "survey_done_on", "訪問調査日")
    [event] = events(EventType.CASES_COLUMN_MAPPING_ADDED)
    assert event.actor == cast.a_admin
    assert event.insurer == cast.insurer_a
    assert (event.target_type, event.target_id) == ("cases.columnmapping", str(mapping.pk))
    assert event.details == {"field": "survey_done_on", "header": "訪問調査日"}


def test_an_added_alias_lets_a_file_with_that_header_import(cast: Cast) -> None:
    data = table(["受給者番号", *HEADER[1:]], [row()])
    before = run_import(cast.insurer_a, data)
    assert before.run.status == ImportRun.Status.REJECTED
    assert any("被保険者番号" in p.reason for p in before.problems)

    add(cast, "insured_number", "受給者番号")
    after = run_import(cast.insurer_a, data)
    assert after.ok, after.problems
    assert after.run.status == ImportRun.Status.SUCCEEDED
    assert after.run.created == 1


def test_another_insurers_alias_does_not_apply(cast: Cast) -> None:
    column_mapping_add(actor=cast.b_admin, insurer=cast.insurer_b, field="insured_number", header="受給者番号")
    outcome = run_import(cast.insurer_a, table(["受給者番号", *HEADER[1:]], [row()]))
    assert outcome.run.status == ImportRun.Status.REJECTED


@pytest.mark.parametrize(
    ("field", "header", "message"),
    [
        ("survey_done_on", "", "列名を入力してください。"),
        ("survey_done_on", "　 ", "列名を入力してください。"),
        ("survey_done_on", "あ" * 101, "列名は100文字以内にしてください。"),
        ("", "訪問調査日", "項目を一覧から選んでください。"),
        ("no_such_field", "訪問調査日", "項目を一覧から選んでください。"),
        ("survey_done_on", "・()", "空白や記号だけの列名は登録できません。"),
        # Another field's canonical header, alias and field name, as the importer compares them.
        (
            "survey_done_on",
            "申請日",
            "「申請日」は「申請日」の列名として使われているため、ほかの項目には登録できません。",
        ),
        (
            "survey_done_on",
            "申請 年月日",
            "「申請 年月日」は「申請日」の列名として使われているため、ほかの項目には登録できません。",
        ),
        (
            "survey_done_on",
            "ｃｅｒｔｉｆｉｅｄ＿ｏｎ",
            "「ｃｅｒｔｉｆｉｅｄ＿ｏｎ」は「認定日」の列名として使われているため、ほかの項目には登録できません。",
        ),
        (
            "applied_on",
            "申請受付日",
            "「申請受付日」は「申請日」の列名として最初から読み取れます。登録は不要です。",
        ),
    ],
)
def test_an_unusable_alias_is_refused_next_to_its_field(cast: Cast, field: str, header: str, message: str) -> None:
    status, page = post_add(cast, field, header)
    assert status == 200
    form_field = "field" if message.startswith("項目") else "header"
    assert f'<div class="error" id="id_{form_field}_error" role="alert"><p>{message}</p></div>' in page
    assert not ColumnMapping.objects.exists()
    assert events(EventType.CASES_COLUMN_MAPPING_ADDED) == []


def test_an_alias_that_matches_one_the_insurer_already_has_is_refused(cast: Cast) -> None:
    add(cast, "survey_done_on", "訪問調査日")
    status, page = post_add(cast, "survey_requested_on", "訪問 調査日")
    assert status == 200
    assert "「訪問調査日」は「認定調査実施日」の列名として登録済みです。" in page
    assert ColumnMapping.objects.count() == 1


def test_the_service_holds_the_same_rules_as_the_form(cast: Cast) -> None:
    for field, header, form_field in [
        ("survey_done_on", "あ" * 101, "header"),
        ("survey_done_on", "  ", "header"),
        ("no_such_field", "訪問調査日", "field"),
        ("survey_done_on", "被保番号", "header"),
    ]:
        with pytest.raises(ColumnMappingError) as caught:
            add(cast, field, header)
        assert caught.value.field == form_field
    assert not ColumnMapping.objects.exists()


def test_two_insurers_may_use_the_same_alias(cast: Cast) -> None:
    add(cast, "survey_done_on", "訪問調査日")
    column_mapping_add(actor=cast.b_admin, insurer=cast.insurer_b, field="survey_done_on", header="訪問調査日")
    assert ColumnMapping.objects.count() == 2


def test_only_the_insurers_own_admin_may_add_through_the_service(cast: Cast) -> None:
    for actor in (cast.b_admin, cast.a_staff, cast.platform_admin):
        with pytest.raises(PermissionDenied):
            column_mapping_add(actor=actor, insurer=cast.insurer_a, field="survey_done_on", header="訪問調査日")
    assert not ColumnMapping.objects.exists()


# ---------------------------------------------------------------------------------------------
# Deleting
# ---------------------------------------------------------------------------------------------


def test_an_admin_deletes_an_alias_and_it_is_audited_and_no_longer_read(cast: Cast) -> None:
    mapping = add(cast)
    mapping_id = mapping.pk
    response = signed_in_recently(cast.a_admin).post(delete_url(mapping), follow=True)
    assert response.status_code == 200
    assert "列名「受給者番号」を削除しました。" in response.content.decode()
    assert not ColumnMapping.objects.exists()
    [event] = events(EventType.CASES_COLUMN_MAPPING_REMOVED)
    assert (event.actor, event.insurer) == (cast.a_admin, cast.insurer_a)
    assert (event.target_type, event.target_id) == ("cases.columnmapping", str(mapping_id))
    assert event.details == {"field": "insured_number", "header": "受給者番号"}
    outcome = run_import(cast.insurer_a, table(["受給者番号", *HEADER[1:]], [row()]))
    assert outcome.run.status == ImportRun.Status.REJECTED


def test_another_insurers_alias_is_not_found_like_a_missing_one(cast: Cast) -> None:
    mapping = add(cast)
    client = signed_in_recently(cast.b_admin)
    client.get(LIST_URL)  # the session is loaded once before counting
    theirs_url = delete_url(mapping)
    missing_url = reverse("insurers:column_mapping_delete", kwargs={"mapping_id": mapping.pk + 1000})
    with CaptureQueriesContext(connection) as theirs_queries:
        theirs = client.post(theirs_url)
    with CaptureQueriesContext(connection) as missing_queries:
        missing = client.post(missing_url)
    assert theirs.status_code == missing.status_code == 404
    # The page links back to where it was asked for (the language switch): only the URL differs.
    assert page_text(theirs.content).replace(theirs_url, "URL") == page_text(missing.content).replace(
        missing_url, "URL"
    )
    assert len(theirs_queries) == len(missing_queries)
    assert ColumnMapping.objects.filter(pk=mapping.pk).exists()
    assert events(EventType.CASES_COLUMN_MAPPING_REMOVED) == []
    with pytest.raises(Http404):
        column_mapping_delete(actor=cast.b_admin, mapping=mapping)


@pytest.mark.parametrize("persona", ["a_staff", "a_auditor", "a_operator", "office_a_admin", "platform_admin"])
def test_other_roles_are_refused_with_403(cast: Cast, persona: str) -> None:
    mapping = add(cast)
    client = signed_in_recently(getattr(cast, persona))
    assert client.get(LIST_URL).status_code == 403
    assert client.post(LIST_URL, {"field": "survey_done_on", "header": "訪問調査日"}).status_code == 403
    assert client.post(delete_url(mapping)).status_code == 403
    assert list(ColumnMapping.objects.all()) == [mapping]
