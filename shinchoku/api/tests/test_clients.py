"""The insurer admin's API client pages and services: the token is shown once and stored only
as a hash, issuing and revoking are audited, and nobody reaches another insurer's clients."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.api.models import ApiClient
from shinchoku.api.services import ApiClientError, api_client_create, expiry_after
from shinchoku.api.tests.helpers import case, issue, post_batch
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.web.navigation import navigation_for
from tests.personas import Cast, signed_in_recently

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r"shk_[A-Za-z0-9_-]{43}")


def create(admin: User, **fields: str) -> tuple[int, str]:
    data = {
        "name": "認定支援システム",
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "allowed_ips": "",
    }
    response = signed_in_recently(admin).post(reverse("api:client_create"), data | fields)
    return response.status_code, response.content.decode()


def test_the_token_is_shown_once_and_stored_only_as_a_hash(cast: Cast) -> None:
    status, page = create(cast.a_admin, allowed_ips="192.0.2.0/24\n２００１:db8::1")
    assert status == 200
    [token] = set(TOKEN_RE.findall(page))
    client = ApiClient.objects.get()
    assert client.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert client.token_prefix == token[:12]
    assert client.allowed_ips == ["192.0.2.0/24", "2001:db8::1/128"]
    assert client.expires_at == expiry_after(timezone.localdate() + timedelta(days=90))
    # Nowhere in the database: not in the client's row, not in the audit trail.
    with connection.cursor() as cursor:
        for table in (ApiClient._meta.db_table, AuditEvent._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - table names from model metadata
            assert token not in repr(cursor.fetchall())
    # Not again on the list, and it works.
    listing = signed_in_recently(cast.a_admin).get(reverse("api:client_list")).content.decode()
    assert token not in listing
    assert client.token_prefix in listing
    assert post_batch(token, {"cases": [case()]}, REMOTE_ADDR="192.0.2.1").status_code == 200


def test_the_page_with_the_token_is_not_cached_and_not_a_redirect(cast: Cast) -> None:
    response = signed_in_recently(cast.a_admin).post(
        reverse("api:client_create"),
        {"name": "夜間連携", "expires_on": (timezone.localdate() + timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "今しか表示されません" in response.content.decode()


def test_issuing_is_audited_without_the_token(cast: Cast) -> None:
    client, token = issue(cast.a_admin, allowed_ips=["192.0.2.1"])
    event = AuditEvent.objects.get(event_type=EventType.API_CLIENT_CREATED)
    assert (event.actor, event.insurer, event.target_id) == (cast.a_admin, cast.insurer_a, str(client.pk))
    assert event.details["token_prefix"] == token[:12]
    assert event.details["allowed_ips"] == ["192.0.2.1/32"]
    assert token not in json.dumps(event.details)


def test_the_form_shows_a_default_expiry_of_one_year(cast: Cast) -> None:
    with time_machine.travel(datetime(2025, 2, 6, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")), tick=False):
        page = signed_in_recently(cast.a_admin).get(reverse("api:client_create")).content.decode()
    assert 'value="2026-02-06"' in page
    assert 'max="2027-02-06"' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"allowed_ips": "192.0.2.300"}, "IPアドレスまたはネットワーク"),
        ({"allowed_ips": "192.0.2.1/24"}, "192.0.2.0/24 のことでしょうか"),
        ({"expires_on": "2000-01-01"}, "今日以降"),
        ({"expires_on": "2999-01-01"}, "2年以内"),
        ({"name": ""}, "このフィールドは必須です"),
    ],
)
def test_the_form_refuses_bad_input(cast: Cast, fields: dict[str, str], message: str) -> None:
    status, page = create(cast.a_admin, **fields)
    assert status == 200
    assert message in page
    assert not TOKEN_RE.search(page)
    assert ApiClient.objects.count() == 0


def test_the_service_enforces_the_lifetime_and_the_admins_insurer(cast: Cast) -> None:
    with pytest.raises(ApiClientError):
        api_client_create(
            actor=cast.a_admin,
            insurer=cast.insurer_a,
            name="長すぎ",
            expires_at=timezone.now() + timedelta(days=800),
            allowed_ips=[],
        )
    with pytest.raises(ApiClientError):
        api_client_create(
            actor=cast.a_admin, insurer=cast.insurer_a, name="過去", expires_at=timezone.now(), allowed_ips=[]
        )
    for actor in (cast.b_admin, cast.a_staff):
        with pytest.raises(PermissionDenied):
            api_client_create(
                actor=actor,
                insurer=cast.insurer_a,
                name="他の保険者",
                expires_at=timezone.now() + timedelta(days=1),
                allowed_ips=[],
            )
    assert ApiClient.objects.count() == 0


def test_the_list_shows_only_the_admins_own_insurers_clients(cast: Cast) -> None:
    issue(cast.a_admin, name="熊本の連携")
    issue(cast.b_admin, name="横浜の連携")
    page = signed_in_recently(cast.a_admin).get(reverse("api:client_list")).content.decode()
    assert "熊本の連携" in page
    assert "横浜の連携" not in page


def test_revoking_stops_the_token_at_once_and_is_audited(cast: Cast) -> None:
    client, token = issue(cast.a_admin)
    response = signed_in_recently(cast.a_admin).post(reverse("api:client_revoke", kwargs={"client_id": client.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("api:client_list")
    client.refresh_from_db()
    assert (client.revoked_by, client.revoked_at is not None) == (cast.a_admin, True)
    event = AuditEvent.objects.get(event_type=EventType.API_CLIENT_REVOKED)
    assert (event.actor, event.insurer, event.target_id) == (cast.a_admin, cast.insurer_a, str(client.pk))
    assert post_batch(token, {"cases": [case()]}).status_code == 401
    # Twice changes nothing and records nothing more.
    signed_in_recently(cast.a_admin).post(reverse("api:client_revoke", kwargs={"client_id": client.pk}))
    assert AuditEvent.objects.filter(event_type=EventType.API_CLIENT_REVOKED).count() == 1


def test_another_insurers_admin_gets_404_and_changes_nothing(cast: Cast) -> None:
    client, token = issue(cast.a_admin)
    url = reverse("api:client_revoke", kwargs={"client_id": client.pk})
    missing = reverse("api:client_revoke", kwargs={"client_id": client.pk + 1000})
    b_admin = signed_in_recently(cast.b_admin)
    assert b_admin.post(url).status_code == b_admin.post(missing).status_code == 404
    client.refresh_from_db()
    assert client.revoked_at is None
    assert post_batch(token, {"cases": [case()]}).status_code == 200


@pytest.mark.parametrize("persona", ["a_staff", "a_auditor", "a_operator", "office_a_admin", "platform_admin"])
def test_other_roles_get_403(cast: Cast, persona: str) -> None:
    client, _ = issue(cast.a_admin)
    browser = signed_in_recently(getattr(cast, persona))
    assert browser.get(reverse("api:client_list")).status_code == 403
    assert browser.get(reverse("api:client_create")).status_code == 403
    assert browser.post(reverse("api:client_revoke", kwargs={"client_id": client.pk})).status_code == 403
    assert ApiClient.objects.get().revoked_at is None


def test_revoking_answers_post_only(cast: Cast) -> None:
    client, _ = issue(cast.a_admin)
    response = signed_in_recently(cast.a_admin).get(reverse("api:client_revoke", kwargs={"client_id": client.pk}))
    assert response.status_code == 405


def test_the_pages_need_a_login(cast: Cast) -> None:
    from django.test import Client  # noqa: PLC0415

    response = Client().get(reverse("api:client_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_menu_offers_api_settings_to_insurer_admins_only(cast: Cast) -> None:
    def has_item(user: User) -> bool:
        return any(item.url_name == "api:client_list" for item in navigation_for(user))

    assert has_item(cast.a_admin)
    assert not any(has_item(u) for u in (cast.a_staff, cast.a_auditor, cast.office_a_admin, cast.platform_admin))
