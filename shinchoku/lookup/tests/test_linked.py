"""The office's linked cases, following them, and the notification choice (issue 4 items 4–5)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest

from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.codes import CareLevel
from shinchoku.cases.models import Case
from shinchoku.lookup.models import Follow, Preference
from shinchoku.offices.models import ApprovalStatus
from shinchoku.offices.services import approval_set_status
from tests.cases import make_case
from tests.personas import Cast

pytestmark = pytest.mark.django_db

LIST = "/lookup/linked/"
APPLIED = date(2025, 4, 1)


@pytest.fixture
def linked(cast: Cast) -> dict[str, Case]:
    return {
        "open": make_case(cast.insurer_a, "0000000011", APPLIED, office_number=cast.office_a.number),
        "decided": make_case(
            cast.insurer_a,
            "0000000012",
            APPLIED - timedelta(days=40),
            office_number=cast.office_a.number,
            certified_on=APPLIED - timedelta(days=5),
            care_level=CareLevel.CARE_3,
        ),
        "other_office": make_case(cast.insurer_a, "0000000013", APPLIED, office_number=cast.office_b.number),
        "insurer_b": make_case(cast.insurer_b, "0000000014", APPLIED, office_number=cast.office_a.number),
    }


def _detail(case: Case) -> str:
    return f"/lookup/linked/{case.pk}/"


def test_the_list_shows_the_offices_cases_with_stage_and_days(
    cast: Cast, sign_in: Any, linked: dict[str, Case]
) -> None:
    html = sign_in(cast.office_a_cm).get(LIST).content.decode()
    assert "0000000011" in html and "0000000012" in html
    assert "0000000013" not in html  # another office's case
    assert "0000000014" not in html  # insurer B did not approve office A
    assert "認定調査・主治医意見書待ち" in html and "認定済み(結果通知の発送待ち)" in html
    assert "申請から35日で" not in html and "申請から認定まで35日" in html


def test_each_approving_insurer_gets_its_own_section(cast: Cast, sign_in: Any, linked: dict[str, Case]) -> None:
    approval_set_status(actor=None, insurer=cast.insurer_b, office=cast.office_a, status=ApprovalStatus.APPROVED)
    html = sign_in(cast.office_a_cm).get(LIST).content.decode()
    assert "熊本市" in html and "横浜市" in html and "0000000014" in html
    listed = AuditEvent.objects.filter(event_type=EventType.LOOKUP_LINKED_LISTED).order_by("insurer__number")
    assert [(e.insurer_id, e.details["count"]) for e in listed] == [(cast.insurer_b.pk, 1), (cast.insurer_a.pk, 2)]
    assert sorted(listed[1].details["cases"]) == sorted([linked["open"].pk, linked["decided"].pk])


def test_the_care_level_shows_only_where_the_insurer_enables_it(
    cast: Cast, sign_in: Any, linked: dict[str, Case]
) -> None:
    client = sign_in(cast.office_a_cm)
    assert "要介護3" not in client.get(LIST).content.decode()
    assert "要介護3" not in client.get(_detail(linked["decided"])).content.decode()
    cast.insurer_a.care_level_enabled = True
    cast.insurer_a.save()
    assert "要介護3" in client.get(LIST).content.decode()
    assert "要介護3" in client.get(_detail(linked["decided"])).content.decode()


@pytest.mark.parametrize("which", ["other_office", "insurer_b"])
def test_a_case_that_is_not_linked_is_not_found(cast: Cast, sign_in: Any, linked: dict[str, Case], which: str) -> None:
    client = sign_in(cast.office_a_cm)
    assert client.get(_detail(linked[which])).status_code == 404
    assert client.post(f"{_detail(linked[which])}follow/", {"follow": "1"}).status_code == 404
    assert not Follow.objects.exists()


def test_an_office_without_approval_sees_nothing(cast: Cast, sign_in: Any, linked: dict[str, Case]) -> None:
    approval_set_status(actor=None, insurer=cast.insurer_a, office=cast.office_a, status=ApprovalStatus.REVOKED)
    client = sign_in(cast.office_a_cm)
    html = client.get(LIST).content.decode()
    assert "0000000011" not in html and "いま照会を利用できる保険者がありません" in html
    assert client.get(_detail(linked["open"])).status_code == 404


def test_opening_a_linked_case_is_audited(cast: Cast, sign_in: Any, linked: dict[str, Case]) -> None:
    html = sign_in(cast.office_a_cm).get(_detail(linked["open"])).content.decode()
    assert "0000000011" in html and "この申請をフォローする" in html
    event = AuditEvent.objects.get(event_type=EventType.LOOKUP_CASE_VIEWED)
    assert event.target_id == str(linked["open"].pk) and event.insurer_id == cast.insurer_a.pk


def test_follow_and_unfollow(cast: Cast, sign_in: Any, linked: dict[str, Case]) -> None:
    client = sign_in(cast.office_a_cm)
    url = f"{_detail(linked['open'])}follow/"
    response = client.post(url, {"follow": "1"})
    assert response.status_code == 302 and response["Location"] == _detail(linked["open"])
    assert Follow.objects.filter(user=cast.office_a_cm, case=linked["open"]).exists()
    assert "フォロー中" in client.get(LIST).content.decode()
    client.post(url, {"follow": "1"})  # twice is once
    client.post(url, {"follow": "0"})
    assert not Follow.objects.exists()
    events = list(
        AuditEvent.objects.filter(
            event_type__in=[EventType.LOOKUP_CASE_FOLLOWED, EventType.LOOKUP_CASE_UNFOLLOWED]
        ).order_by("pk")
    )
    assert [e.event_type for e in events] == [EventType.LOOKUP_CASE_FOLLOWED, EventType.LOOKUP_CASE_UNFOLLOWED]


def test_follow_answers_post_only(cast: Cast, sign_in: Any, linked: dict[str, Case]) -> None:
    assert sign_in(cast.office_a_cm).get(f"{_detail(linked['open'])}follow/").status_code == 405


def test_erasing_a_case_removes_its_follows(cast: Cast, linked: dict[str, Case]) -> None:
    Follow.objects.create(user=cast.office_a_cm, case=linked["open"])
    Case.objects.filter(pk=linked["open"].pk).delete()
    assert not Follow.objects.exists()


def test_preferences_can_be_changed_and_are_audited(cast: Cast, sign_in: Any) -> None:
    client = sign_in(cast.office_a_cm)
    html = client.get("/lookup/preferences/").content.decode()
    assert 'name="email_on_followed_change"' in html and "checked" in html  # on by default
    response = client.post("/lookup/preferences/", {})
    assert response.status_code == 302
    assert Preference.objects.get(user=cast.office_a_cm).email_on_followed_change is False
    assert (
        "checked" not in client.get("/lookup/preferences/").content.decode().split("email_on_followed_change")[1][:80]
    )
    event = AuditEvent.objects.get(event_type=EventType.LOOKUP_PREFERENCE_UPDATED)
    assert event.details == {"email_on_followed_change": False}


def test_the_linked_list_is_not_shown_when_its_audit_write_fails(
    cast: Cast, sign_in: Any, linked: dict[str, Case]
) -> None:
    client = sign_in(cast.office_a_cm)
    with mock.patch("shinchoku.audit.services.audit_record", side_effect=RuntimeError("disk full")):
        response = client.get(LIST)
        detail = client.get(_detail(linked["open"]))
    assert response.status_code == 503 and detail.status_code == 503
    assert "0000000011" not in response.content.decode() + detail.content.decode()
