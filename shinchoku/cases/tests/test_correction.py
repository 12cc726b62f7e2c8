"""Staff correct one milestone of a case, with a reason; the next import restores the source."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.codes import Source
from shinchoku.cases.importing.service import cases_import
from shinchoku.cases.models import Case, ImportRun
from shinchoku.cases.services import CORRECTABLE_FIELDS, CorrectionError, case_content_digest, case_correct
from shinchoku.cases.tests.test_views import case_of, cp932_file, import_as, rows_file, synthetic, title_of
from tests.personas import Cast

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]


@pytest.fixture
def original(cast: Cast) -> bytes:
    """The municipal file of fifty cases of insurer A, already imported once."""
    data = cp932_file(synthetic(cast.insurer_a))
    import_as(cast.a_staff, data)
    return data


@pytest.fixture
def open_case(cast: Cast, original: bytes) -> Case:
    """A case of the file still waiting for its 認定 (so its 認定日 is blank)."""
    case = Case.objects.filter(insurer=cast.insurer_a, certified_on__isnull=True, closure="").order_by("pk").first()
    assert case is not None
    return case


def _url(case: Case | int) -> str:
    return reverse("cases:case_correct", kwargs={"case_id": case if isinstance(case, int) else case.pk})


def _corrected() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.CASES_CASE_CORRECTED))


def test_staff_see_the_correction_form_with_the_current_values(cast: Cast, sign_in: SignIn, open_case: Case) -> None:
    response = sign_in(cast.a_staff).get(_url(open_case))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="date"' in page
    assert "訂正の理由" in page
    assert open_case.applied_on.strftime("%Y/%m/%d") in page
    for name in CORRECTABLE_FIELDS:
        assert f'value="{name}"' in page
    assert 'value="applied_on"' not in page
    assert AuditEvent.objects.filter(event_type=EventType.CASES_CASE_VIEWED, target_id=str(open_case.pk)).exists()


def test_a_correction_changes_the_field_and_is_audited(cast: Cast, sign_in: SignIn, open_case: Case) -> None:
    new_day = timezone.localdate() - timedelta(days=1)
    before_digest = open_case.content_digest
    client = sign_in(cast.a_staff)

    response = client.post(
        _url(open_case),
        {"field": "primary_judged_on", "value_date": new_day.isoformat(), "reason": "入力漏れの補正"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case_detail", kwargs={"case_id": open_case.pk})
    case = Case.objects.get(pk=open_case.pk)
    assert case.primary_judged_on == new_day
    assert case.source == Source.STAFF
    assert case.updated_at > open_case.updated_at
    assert case.content_digest != before_digest
    assert case.content_digest == case_content_digest(case)
    (event,) = _corrected()
    assert event.actor == cast.a_staff
    assert (event.target_type, event.target_id) == ("cases.case", str(case.pk))
    assert event.details == {
        "field": "primary_judged_on",
        "from": open_case.primary_judged_on.isoformat() if open_case.primary_judged_on else None,
        "to": new_day.isoformat(),
        "reason": "入力漏れの補正",
    }
    page = client.get(response["Location"]).content.decode()
    assert "「一次判定日」を訂正しました。" in page
    assert "職員による訂正" in page


def test_a_reason_is_required(cast: Cast, sign_in: SignIn, open_case: Case) -> None:
    response = sign_in(cast.a_staff).post(
        _url(open_case), {"field": "primary_judged_on", "value_date": "2025-04-01", "reason": "   "}
    )

    assert response.status_code == 200
    assert "訂正の理由を入力してください。" in response.content.decode()
    assert Case.objects.get(pk=open_case.pk).primary_judged_on == open_case.primary_judged_on
    assert not _corrected()


def test_the_service_refuses_a_correction_without_a_reason(cast: Cast, open_case: Case) -> None:
    with pytest.raises(CorrectionError):
        case_correct(actor=cast.a_staff, case=open_case, field="survey_done_on", value=None, reason=" ")


def test_a_typed_wareki_date_is_accepted(cast: Cast, sign_in: SignIn, open_case: Case) -> None:
    target = timezone.localdate() - timedelta(days=1)
    wareki = f"令和{target.year - 2018}年{target.month}月{target.day}日".translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )

    response = sign_in(cast.a_staff).post(
        _url(open_case), {"field": "primary_judged_on", "value_text": wareki, "reason": "和暦で入力"}
    )

    assert response.status_code == 302
    assert Case.objects.get(pk=open_case.pk).primary_judged_on == target


def test_leaving_both_boxes_blank_clears_the_field(cast: Cast, sign_in: SignIn) -> None:
    today = timezone.localdate()
    import_as(
        cast.a_staff,
        rows_file(
            [
                {
                    "被保険者番号": "4310000001",
                    "申請日": (today - timedelta(days=10)).isoformat(),
                    "申請区分": "新規",
                    "認定調査予定日": (today + timedelta(days=3)).isoformat(),
                }
            ]
        ),
    )
    case = case_of(cast.insurer_a, "4310000001")

    response = sign_in(cast.a_staff).post(_url(case), {"field": "survey_scheduled_on", "reason": "予定の取消し"})

    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).survey_scheduled_on is None
    assert _corrected()[0].details["to"] is None


def test_the_extension_reason_can_be_corrected(cast: Cast, sign_in: SignIn, open_case: Case) -> None:
    response = sign_in(cast.a_staff).post(
        _url(open_case),
        {"field": "extension_reason", "value_text": "審査会の日程のため", "reason": "理由の誤記"},
    )

    assert response.status_code == 302
    assert Case.objects.get(pk=open_case.pk).extension_reason == "審査会の日程のため"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"field": "primary_judged_on", "value_text": "R7.13.40"}, "月"),
        ({"field": "certified_on", "value_date": "2099-01-01"}, "まだ来ていない日付です。"),
        ({"field": "certified_on", "value_date": "2001-01-01"}, "申請日より前の日付です。"),
        ({"field": "closed_on", "value_date": "today"}, "取下げ・却下の区分がない申請には"),
        ({"field": "applied_on", "value_date": "2025-01-01"}, "訂正できない項目です。"),
        ({"field": "", "value_date": "2025-01-01"}, "訂正する項目を選んでください。"),
        (
            {"field": "primary_judged_on", "value_date": "2025-04-01", "value_text": "2025-04-02"},
            "カレンダーと文字で違う日付",
        ),
        ({"field": "extension_reason", "value_date": "2025-04-01"}, "延期理由は文字で入力してください。"),
    ],
)
def test_invalid_values_are_explained_in_japanese(
    cast: Cast, sign_in: SignIn, open_case: Case, data: dict[str, str], message: str
) -> None:
    today = timezone.localdate().isoformat()
    data = {key: today if value == "today" else value for key, value in data.items()}

    response = sign_in(cast.a_staff).post(_url(open_case), {**data, "reason": "確認"})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Case.objects.get(pk=open_case.pk).content_digest == open_case.content_digest
    assert not _corrected()


def test_the_same_value_again_is_not_a_correction(cast: Cast, sign_in: SignIn, open_case: Case) -> None:
    current = open_case.applied_on.isoformat()
    sign_in(cast.a_staff).post(_url(open_case), {"field": "primary_judged_on", "value_date": current, "reason": "a"})

    response = sign_in(cast.a_staff).post(
        _url(open_case), {"field": "primary_judged_on", "value_date": current, "reason": "b"}
    )

    assert "今の値と同じです。" in response.content.decode()
    assert len(_corrected()) == 1


def test_the_closure_date_of_a_withdrawn_case_cannot_be_cleared(cast: Cast, sign_in: SignIn) -> None:
    applied = timezone.localdate() - timedelta(days=10)
    import_as(
        cast.a_staff,
        rows_file(
            [
                {
                    "被保険者番号": "4310000001",
                    "申請日": applied.isoformat(),
                    "申請区分": "新規",
                    "取下げ・却下": "取下げ",
                    "取下げ・却下日": (applied + timedelta(days=2)).isoformat(),
                }
            ]
        ),
    )
    case = case_of(cast.insurer_a, "4310000001")

    response = sign_in(cast.a_staff).post(_url(case), {"field": "closed_on", "reason": "誤り"})

    assert response.status_code == 200
    assert "取下げ・却下日は空欄にできません" in response.content.decode()


def test_reimporting_the_municipal_file_reports_the_corrected_case_as_updated(
    cast: Cast, sign_in: SignIn, original: bytes, open_case: Case
) -> None:
    sign_in(cast.a_staff).post(
        _url(open_case),
        {"field": "primary_judged_on", "value_date": timezone.localdate().isoformat(), "reason": "仮の訂正"},
    )

    outcome = cases_import(
        actor=cast.a_staff,
        actor_label=cast.a_staff.email,
        insurer=cast.insurer_a,
        data=original,
        file_name="cases.csv",
        channel=ImportRun.Channel.UPLOAD,
    )

    assert (outcome.run.created, outcome.run.updated, outcome.run.unchanged) == (0, 1, 49)
    case = Case.objects.get(pk=open_case.pk)
    assert case.primary_judged_on == open_case.primary_judged_on
    assert case.source == Source.IMPORT
    assert case.content_digest == open_case.content_digest


def test_a_fresh_import_and_the_stored_digest_agree(cast: Cast, original: bytes) -> None:
    """The digest staff corrections compute is the importer's: untouched cases compare equal."""
    assert all(case.content_digest == case_content_digest(case) for case in Case.objects.all())


def test_the_audit_event_never_holds_the_number(cast: Cast, sign_in: SignIn, open_case: Case, original: bytes) -> None:
    numbers = [c.insured_number for c in synthetic(cast.insurer_a)]
    client = sign_in(cast.a_staff)

    page = client.get(_url(open_case)).content.decode()
    today = timezone.localdate().isoformat()
    client.post(_url(open_case), {"field": "primary_judged_on", "value_date": today, "reason": "確認のため"})
    assert _corrected()

    details = json.dumps([e.details for e in AuditEvent.objects.all()], ensure_ascii=False)
    assert not any(number in details for number in numbers)
    assert not any(number in page for number in numbers)  # the form shows dates only
    assert not any(number in title_of(page) for number in numbers)


def test_another_insurers_case_is_not_found(cast: Cast, sign_in: SignIn, original: bytes) -> None:
    import_as(cast.b_staff, cp932_file(synthetic(cast.insurer_b, count=3)))
    theirs = Case.objects.filter(insurer=cast.insurer_b).first()
    assert theirs is not None
    client = sign_in(cast.a_staff)

    assert client.get(_url(theirs)).status_code == 404
    assert client.post(_url(theirs), {"field": "survey_done_on", "reason": "x"}).status_code == 404
    assert client.get(_url(theirs.pk + 10_000)).status_code == 404
    assert not _corrected()


@pytest.mark.parametrize("persona", ["a_admin", "a_auditor", "a_operator", "office_a_cm", "platform_admin"])
def test_other_roles_may_not_correct(cast: Cast, sign_in: SignIn, open_case: Case, persona: str) -> None:
    client = sign_in(getattr(cast, persona))

    assert client.get(_url(open_case)).status_code == 403
    assert client.post(_url(open_case), {"field": "survey_done_on", "reason": "x"}).status_code == 403
    assert not _corrected()


def test_the_correction_page_answers_get_and_post_only(cast: Cast, sign_in: SignIn, open_case: Case) -> None:
    client = sign_in(cast.a_staff)

    assert client.put(_url(open_case)).status_code == 405
    assert client.delete(_url(open_case)).status_code == 405


def test_a_field_can_be_preselected_from_the_case_page(cast: Cast, sign_in: SignIn, open_case: Case) -> None:
    response = sign_in(cast.a_staff).get(_url(open_case), {"field": "certified_on"})

    assert response.context["form"].initial["field"] == "certified_on"


def test_dates_in_the_future_stay_allowed_for_planned_milestones(cast: Cast, open_case: Case) -> None:
    planned = timezone.localdate() + timedelta(days=7)

    case = case_correct(
        actor=cast.a_staff, case=open_case, field="committee_scheduled_on", value=planned, reason="日程の変更"
    )

    assert case.committee_scheduled_on == planned
