"""The care managers' lookup by key (issue 4 items 1–3, 7): who may look, what they see, that
every way of not finding a case looks and costs the same, and that every look is audited."""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.codes import ApplicationKind, CareLevel
from shinchoku.cases.identity import insured_index
from shinchoku.cases.models import Case
from shinchoku.lookup.models import MissWindow
from shinchoku.offices.models import ApprovalStatus
from shinchoku.offices.services import approval_set_status
from tests.cases import make_case
from tests.personas import Cast

pytestmark = pytest.mark.django_db

URL = "/lookup/"
APPLIED = date(2025, 4, 1)
NUMBER_A = "0000123456"  # a person of insurer A (熊本市) whose office on file is office A
NUMBER_A_ELSEWHERE = "0000654321"  # a person of insurer A handled by another office
NUMBER_B = "0000777777"  # a person of insurer B (横浜市)
ROOMY_LIMITS = [
    ("user", 900, 1000, 1800),
    ("office", 3600, 1000, 3600),
    ("ip", 3600, 1000, 3600),
    ("global", 3600, 1000, 3600),
]


@pytest.fixture
def cases(cast: Cast) -> dict[str, Case]:
    return {
        "linked": make_case(
            cast.insurer_a,
            NUMBER_A,
            APPLIED,
            kind=ApplicationKind.RENEWAL,
            office_number=cast.office_a.number,
            survey_requested_on=APPLIED + timedelta(days=2),
            survey_scheduled_on=APPLIED + timedelta(days=9),
            opinion_requested_on=APPLIED + timedelta(days=2),
            opinion_received_on=APPLIED + timedelta(days=15),
            extension_notified_on=APPLIED + timedelta(days=28),
            extension_reason="主治医意見書の到着遅れ",
            extension_expected_on=APPLIED + timedelta(days=45),
        ),
        "elsewhere": make_case(
            cast.insurer_a,
            NUMBER_A_ELSEWHERE,
            APPLIED,
            office_number="4370100028",
            certified_on=APPLIED + timedelta(days=29),
            care_level=CareLevel.CARE_2,
        ),
        "insurer_b": make_case(cast.insurer_b, NUMBER_B, APPLIED, office_number=cast.office_b.number),
    }


def _post(client: Client, **overrides: str) -> Any:
    data = {
        "insurer": "431007",
        "insured_number": NUMBER_A,
        "applied_on_date": APPLIED.isoformat(),
        "applied_on_text": "",
        "application_kind": ApplicationKind.RENEWAL,
        **overrides,
    }
    return client.post(URL, data)


def _lookups() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.LOOKUP_CASE_LOOKED_UP).order_by("pk"))


# -- who may look ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["office_a_cm", "office_a_admin"])
def test_care_managers_and_office_admins_of_an_approved_office_get_the_form(
    cast: Cast, sign_in: Any, persona: str
) -> None:
    response = sign_in(getattr(cast, persona)).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="insured_number"' in html
    # One approving insurer: preselected, not a choice to make.
    assert re.search(r'<input type="hidden" name="insurer" value="431007"', html)
    assert "熊本市" in html


@pytest.mark.parametrize("persona", ["a_staff", "a_admin", "a_auditor", "a_operator", "platform_admin"])
def test_other_roles_cannot_use_the_lookup(cast: Cast, sign_in: Any, persona: str, cases: dict[str, Case]) -> None:
    client = sign_in(getattr(cast, persona))
    assert client.get(URL).status_code == 403
    assert _post(client).status_code == 403
    assert _lookups() == []


def test_an_office_approved_by_two_insurers_chooses_between_them(cast: Cast, sign_in: Any) -> None:
    approval_set_status(actor=None, insurer=cast.insurer_b, office=cast.office_a, status=ApprovalStatus.APPROVED)
    html = sign_in(cast.office_a_cm).get(URL).content.decode()
    select = re.search(r'<select name="insurer"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    assert "141002" in select.group(1) and "431007" in select.group(1)


def test_an_unapproved_office_gets_no_form_but_an_explanation(cast: Cast, sign_in: Any) -> None:
    html = sign_in(cast.outsider).get(URL).content.decode()
    assert 'name="insured_number"' not in html
    assert "いま照会を利用できる保険者がありません" in html


def test_a_suspended_approval_takes_effect_on_the_next_request(
    cast: Cast, sign_in: Any, cases: dict[str, Case]
) -> None:
    client = sign_in(cast.office_a_cm)
    assert "照会結果" in _post(client).content.decode()
    approval_set_status(actor=None, insurer=cast.insurer_a, office=cast.office_a, status=ApprovalStatus.SUSPENDED)
    html = _post(client).content.decode()
    assert "照会結果" not in html
    assert "該当する申請が見つかりません" in html


# -- a hit -------------------------------------------------------------------------------------


def test_a_hit_shows_the_timeline_status_and_last_update(cast: Cast, sign_in: Any, cases: dict[str, Case]) -> None:
    response = _post(sign_in(cast.office_a_cm))
    assert response.status_code == 200
    html = response.content.decode()
    assert "照会結果" in html
    for label in ("申請受付", "認定調査 依頼", "認定調査 実施", "主治医意見書 依頼", "主治医意見書 受領", "一次判定"):
        assert label in html
    for label in ("介護認定審査会", "認定(二次判定)", "結果通知 発送", "データの最終更新"):
        assert label in html
    assert "認定調査待ち" in html  # the status in words: the opinion is in, the survey is not
    assert "予定 2025/04/10" in html  # the survey's planned day
    assert "主治医意見書の到着遅れ" in html and "2025/05/16" in html  # 延期通知: reason, expected day
    assert NUMBER_A in html
    assert 'id="lookup-result"' in html


@pytest.mark.parametrize(
    ("number", "date_box", "text_box"),
    [
        ("００００１２３４５６", "", "令和7年4月1日"),  # full-width number, 和暦 typed
        (NUMBER_A, "", "R7.4.1"),
        (NUMBER_A, "", "2025/04/01"),
        (NUMBER_A, "2025-04-01", ""),  # the date picker
        (NUMBER_A, "2025-04-01", "R07.04.01"),  # both boxes, same day
    ],
)
def test_the_key_can_be_typed_the_ways_people_write_it(  # noqa: PLR0917 - pytest passes fixtures by position
    cast: Cast, sign_in: Any, cases: dict[str, Case], number: str, date_box: str, text_box: str
) -> None:
    html = _post(
        sign_in(cast.office_a_cm), insured_number=number, applied_on_date=date_box, applied_on_text=text_box
    ).content.decode()
    assert "照会結果" in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"insured_number": "12345"}, "被保険者番号"),
        ({"applied_on_date": "", "applied_on_text": ""}, "申請日を入力してください"),
        ({"applied_on_date": "", "applied_on_text": "令和7年2月30日"}, "日"),
        ({"applied_on_date": "2025-04-01", "applied_on_text": "R7.4.2"}, "違う日付"),
        ({"application_kind": "Z"}, "申請区分を一覧から選んでください"),
    ],
)
def test_bad_input_is_explained_and_not_looked_up(
    cast: Cast, sign_in: Any, cases: dict[str, Case], overrides: dict[str, str], message: str
) -> None:
    response = _post(sign_in(cast.office_a_cm), **overrides)
    assert response.status_code == 200
    html = response.content.decode()
    assert "入力内容を確認してください" in html and message in html
    assert _lookups() == []
    assert not MissWindow.objects.exists()


def test_the_result_is_shown_only_to_the_office_on_file(
    cast: Cast, sign_in: Any, cases: dict[str, Case], settings: Any
) -> None:
    cast.insurer_a.care_level_enabled = True
    cast.insurer_a.save()
    html = _post(
        sign_in(cast.office_a_cm),
        insured_number=NUMBER_A_ELSEWHERE,
        application_kind=ApplicationKind.NEW,
    ).content.decode()
    assert "照会結果" in html
    assert "認定済み(結果は結果通知でご確認ください)" in html
    assert "要介護2" not in html
    assert "担当の申請として開く" not in html


# -- every look audited, unlinked looks marked ----------------------------------------------------


def test_each_lookup_is_audited_with_the_index_not_the_number(cast: Cast, sign_in: Any, cases: dict[str, Case]) -> None:
    client = sign_in(cast.office_a_cm)
    _post(client)
    _post(client, insured_number=NUMBER_A_ELSEWHERE, application_kind=ApplicationKind.NEW)
    _post(client, insured_number="0000000001")
    hit, unlinked, miss = _lookups()
    assert (hit.outcome, hit.details["result"], hit.details["linked"]) == (Outcome.SUCCESS, "hit", True)
    assert hit.target_id == str(cases["linked"].pk) and hit.insurer_id == cast.insurer_a.pk
    assert hit.office_id == cast.office_a.pk and hit.actor_id == cast.office_a_cm.pk
    assert hit.ip == "127.0.0.1" and hit.details["index"] == insured_index("431007", NUMBER_A)
    assert (unlinked.details["result"], unlinked.details["linked"]) == ("hit", False)
    assert (miss.outcome, miss.details["result"], miss.details["reason"]) == (Outcome.FAILURE, "miss", "not_found")
    for event in (hit, unlinked, miss):
        assert NUMBER_A not in str(event.details) and NUMBER_A_ELSEWHERE not in str(event.details)


def test_a_user_agent_is_recorded(cast: Cast, cases: dict[str, Case]) -> None:
    client = Client(HTTP_USER_AGENT="TabletBrowser/1.0")
    client.force_login(cast.office_a_cm)
    _post(client)
    assert _lookups()[0].user_agent == "TabletBrowser/1.0"


def test_no_case_is_shown_when_the_audit_write_fails(cast: Cast, sign_in: Any, cases: dict[str, Case]) -> None:
    client = sign_in(cast.office_a_cm)
    with mock.patch("shinchoku.audit.services.audit_record", side_effect=RuntimeError("disk full")):
        response = _post(client)
    assert response.status_code == 503
    html = response.content.decode()
    assert NUMBER_A not in html and "認定調査待ち" not in html and "照会結果" not in html
    assert "ただいま照会できません" in html
    assert _lookups() == []


def test_a_miss_is_not_counted_when_its_audit_write_fails(cast: Cast, sign_in: Any, cases: dict[str, Case]) -> None:
    client = sign_in(cast.office_a_cm)
    with mock.patch("shinchoku.audit.services.audit_record", side_effect=RuntimeError("disk full")):
        assert _post(client, insured_number="0000000001").status_code == 503
    assert all(not row.stamps for row in MissWindow.objects.all())


# -- no oracle -----------------------------------------------------------------------------------

_VOLATILE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|<form .*?</form>', re.S)


@pytest.fixture
def count_hmacs() -> Iterator[list[int]]:
    """Counts keyed-hash operations (the blind index and the audit chain) during a request."""
    counted = [0]
    real_digest, real_new = hmac.digest, hmac.new

    def digest(*args: Any, **kwargs: Any) -> bytes:
        counted[0] += 1
        return real_digest(*args, **kwargs)

    def new(*args: Any, **kwargs: Any) -> hmac.HMAC:
        counted[0] += 1
        return real_new(*args, **kwargs)

    with mock.patch.object(hmac, "digest", digest), mock.patch.object(hmac, "new", new):
        yield counted


def test_every_way_of_not_finding_a_case_looks_and_costs_the_same(
    cast: Cast, sign_in: Any, cases: dict[str, Case], settings: Any, count_hmacs: list[int]
) -> None:
    """As Django's test_authentication_timing: same page, status, message, queries, hashes."""
    settings.LOOKUP_MISS_LIMITS = ROOMY_LIMITS
    settings.AUDIT_CHAIN_STRIPES = 1
    client = sign_in(cast.office_a_cm)
    scenarios = {
        "no such case": {"insured_number": "0000000001"},
        "a field does not match": {"applied_on_date": "2025-04-02"},
        "office not approved by this insurer": {
            "insurer": "141002",
            "insured_number": NUMBER_B,
            "application_kind": ApplicationKind.NEW,
        },
        "case of another insurer": {"insured_number": NUMBER_B, "application_kind": ApplicationKind.NEW},
    }
    for overrides in scenarios.values():  # first use creates chain heads and counter rows
        _post(client, **overrides)
    seen: dict[str, tuple[int, str, int, int]] = {}
    for name, overrides in scenarios.items():
        count_hmacs[0] = 0
        with CaptureQueriesContext(connection) as queries:
            response = _post(client, **overrides)
        page = _VOLATILE.sub("", response.content.decode())
        seen[name] = (response.status_code, page, len(queries), count_hmacs[0])
    statuses = {v[0] for v in seen.values()}
    pages = {v[1] for v in seen.values()}
    query_counts = {name: v[2] for name, v in seen.items()}
    hash_counts = {name: v[3] for name, v in seen.items()}
    assert statuses == {200}
    assert len(pages) == 1, "the pages differ"
    assert "該当する申請が見つかりません" in pages.pop()
    assert len(set(query_counts.values())) == 1, query_counts
    assert len(set(hash_counts.values())) == 1, hash_counts
    reasons = [e.details["reason"] for e in _lookups()[-4:]]
    assert reasons == ["not_found", "not_found", "not_approved", "not_found"]


def test_an_unapproved_office_posting_anyway_gets_the_same_miss(
    cast: Cast, sign_in: Any, cases: dict[str, Case]
) -> None:
    html = _post(sign_in(cast.outsider)).content.decode()
    assert "該当する申請が見つかりません" in html and NUMBER_A not in html.split("<form")[0]
    assert _lookups()[0].details["reason"] == "not_approved"


def test_the_number_never_travels_in_a_url_and_nothing_is_cached(
    cast: Cast, sign_in: Any, cases: dict[str, Case]
) -> None:
    client = sign_in(cast.office_a_cm)
    got = client.get(URL, {"insured_number": NUMBER_A, "insurer": "431007", "application_kind": "2"})
    assert "照会結果" not in got.content.decode() and _lookups() == []
    response = _post(client)
    assert response["Cache-Control"] == "no-store"
    assert not response.has_header("Location")
    html = response.content.decode()
    number_input = re.search(r'<input[^>]*name="insured_number"[^>]*>', html)
    assert number_input is not None and 'autocomplete="off"' in number_input.group(0)
    assert re.search(r'<form method="post" action="/lookup/"[^>]*autocomplete="off"', html)
    for match in re.finditer(r'(?:href|action)="([^"]*)"', html):
        assert NUMBER_A not in match.group(1)


def test_the_result_page_is_laid_out_for_a_tablet(cast: Cast, sign_in: Any, cases: dict[str, Case]) -> None:
    html = _post(sign_in(cast.office_a_cm)).content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    # The date fields have labels; the picker is a native date input (tablet keyboards and calendars).
    assert re.search(r'<label for="id_applied_on_text">', html)
    assert re.search(r'<input type="date" name="applied_on_date"', html)


def test_lookup_routes_name_the_number_nowhere() -> None:
    for name in ("lookup:lookup", "lookup:linked_list", "lookup:preferences", "lookup:alert_list"):
        assert re.fullmatch(r"/lookup/[a-z/]*", reverse(name))


def test_auditors_can_list_lookups_of_cases_not_linked_to_the_office(
    cast: Cast, sign_in: Any, cases: dict[str, Case]
) -> None:
    cm = Client()
    cm.force_login(cast.office_a_cm)
    _post(cm)  # linked
    _post(cm, insured_number=NUMBER_A_ELSEWHERE, application_kind=ApplicationKind.NEW)  # not linked
    _post(cm, insured_number="0000000001")  # a miss
    auditor = sign_in(cast.a_auditor)
    unlinked = auditor.get("/audit/", {"review": "unlinked_lookups"}).content.decode()
    assert unlinked.count("担当外</span>") == 1
    assert unlinked.count("<td>進捗照会") == 1
    misses = auditor.get("/audit/", {"review": "lookup_misses"}).content.decode()
    assert misses.count("<td>進捗照会") == 1 and "担当外</span>" not in misses
