"""The insurer admin's settings page: retention within its bounds, 要介護度 on or off, audited,
and only for the admin's own insurer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.insurers.models import Insurer
from shinchoku.web.navigation import navigation_for
from tests.personas import Cast, signed_in_recently

pytestmark = pytest.mark.django_db

URL = "/settings/"


def post(cast: Cast, **fields: str) -> tuple[int, str]:
    data = {"retention_days_after_closure": "30", "retention_days_after_application": "180"} | fields
    response = signed_in_recently(cast.a_admin).post(URL, data, follow=True)
    return response.status_code, response.content.decode()


def updates() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.INSURERS_INSURER_UPDATED).order_by("pk"))


def test_the_url_is_the_settings_route() -> None:
    assert reverse("insurers:settings") == URL


def test_the_page_shows_the_current_values_and_the_bounds(cast: Cast) -> None:
    page = signed_in_recently(cast.a_admin).get(URL).content.decode()
    assert "熊本市(431007)" in page
    assert 'name="retention_days_after_closure" value="30"' in page
    assert 'name="retention_days_after_application" value="180"' in page
    assert "7日から90日までの間で指定できます。" in page
    assert "60日から365日までの間で指定できます。" in page
    assert "その申請に記載された居宅介護支援事業所にだけ表示し" in page
    assert reverse("insurers:column_mappings") in page


def test_an_insurer_admin_saves_retention_and_care_level_and_it_is_audited(cast: Cast) -> None:
    status, page = post(
        cast, retention_days_after_closure="7", retention_days_after_application="365", care_level_enabled="on"
    )
    assert status == 200
    assert "保険者の設定を保存しました。" in page
    insurer = Insurer.objects.get(pk=cast.insurer_a.pk)
    assert (insurer.retention_days_after_closure, insurer.retention_days_after_application) == (7, 365)
    assert insurer.care_level_enabled
    [event] = updates()
    assert event.actor == cast.a_admin
    assert event.insurer == cast.insurer_a
    assert event.details["changed"] == {
        "retention_days_after_closure": [30, 7],
        "retention_days_after_application": [180, 365],
        "care_level_enabled": [False, True],
    }


def test_turning_care_level_off_again_is_saved(cast: Cast) -> None:
    post(cast, care_level_enabled="on")
    post(cast)
    assert not Insurer.objects.get(pk=cast.insurer_a.pk).care_level_enabled
    assert len(updates()) == 2


def test_saving_the_same_values_changes_nothing_and_writes_no_event(cast: Cast) -> None:
    status, page = post(cast)
    assert status == 200
    assert "変更はありませんでした。" in page
    assert updates() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("retention_days_after_closure", "6", "7日から90日までの整数で入力してください。"),
        ("retention_days_after_closure", "91", "7日から90日までの整数で入力してください。"),
        ("retention_days_after_closure", "", "7日から90日までの整数で入力してください。"),
        ("retention_days_after_closure", "三十", "7日から90日までの整数で入力してください。"),
        ("retention_days_after_application", "59", "60日から365日までの整数で入力してください。"),
        ("retention_days_after_application", "366", "60日から365日までの整数で入力してください。"),
        ("retention_days_after_application", "120.5", "60日から365日までの整数で入力してください。"),
    ],
)
def test_days_outside_the_bounds_are_refused_next_to_the_field(
    cast: Cast, field: str, value: str, message: str
) -> None:
    status, page = post(cast, **{field: value}, care_level_enabled="on")
    assert status == 200
    assert f'<div class="error" id="id_{field}_error" role="alert"><p>{message}</p></div>' in page
    assert "入力内容を確認してください。" in page
    insurer = Insurer.objects.get(pk=cast.insurer_a.pk)
    assert (insurer.retention_days_after_closure, insurer.retention_days_after_application) == (30, 180)
    assert not insurer.care_level_enabled
    assert updates() == []


def test_the_bounds_themselves_are_accepted(cast: Cast) -> None:
    post(cast, retention_days_after_closure="90", retention_days_after_application="60")
    insurer = Insurer.objects.get(pk=cast.insurer_a.pk)
    assert (insurer.retention_days_after_closure, insurer.retention_days_after_application) == (90, 60)


def test_it_changes_only_the_admins_own_insurer(cast: Cast) -> None:
    signed_in_recently(cast.b_admin).post(
        URL, {"retention_days_after_closure": "14", "retention_days_after_application": "90"}
    )
    assert Insurer.objects.get(pk=cast.insurer_b.pk).retention_days_after_closure == 14
    assert Insurer.objects.get(pk=cast.insurer_a.pk).retention_days_after_closure == 30


@pytest.mark.parametrize("persona", ["a_staff", "a_auditor", "a_operator", "office_a_admin", "platform_admin"])
def test_other_roles_are_refused_with_403(cast: Cast, persona: str) -> None:
    client = signed_in_recently(getattr(cast, persona))
    assert client.get(URL).status_code == 403
    response = client.post(URL, {"retention_days_after_closure": "7", "retention_days_after_application": "60"})
    assert response.status_code == 403
    assert Insurer.objects.get(pk=cast.insurer_a.pk).retention_days_after_closure == 30


def test_the_menu_offers_the_settings_to_insurer_admins_only(cast: Cast) -> None:
    for name, user in cast.everyone().items():
        has_item = any(item.url_name == "insurers:settings" for item in navigation_for(user))
        assert has_item == (name in {"a_admin", "b_admin"}), name
