"""Controls that live in settings and middleware order rather than in a view."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from shinchoku.audit.chain import verify
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditChainHead, AuditEvent
from shinchoku.audit.selectors import chains_for_actor
from shinchoku.audit.services import audit_record
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def test_the_https_redirect_is_not_cached_but_healthz_answers_over_plain_http(client: Client) -> None:
    with override_settings(SECURE_SSL_REDIRECT=True):
        redirect = client.get(reverse("account_login"))
        health = client.get(reverse("ops:healthz"))
    assert redirect.status_code == 301
    assert redirect["Cache-Control"] == "no-store"
    assert health.status_code == 200


def test_the_session_timeout_redirect_is_not_cached(cast: Cast, sign_in: object) -> None:
    client = sign_in(cast.a_staff)  # type: ignore[operator]
    client.get(reverse("web:home"))
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"


def test_static_files_keep_their_own_cache_headers(client: Client) -> None:
    # HEAD: the same headers without opening the file (closing a file response would fire
    # request_finished, which closes the test's database connection on PostgreSQL).
    response = client.head("/static/web/shinchoku.css")
    assert response.status_code == 200
    assert response.get("Cache-Control", "") != "no-store"


def test_more_than_sixty_login_posts_a_minute_from_one_address_get_the_japanese_429_page(client: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        for i in range(60):
            client.post(reverse("account_login"), {"login": f"x{i}@test.example", "password": "y" * 14})
        response = client.post(reverse("account_login"), {"login": "z@test.example", "password": "y" * 14})
    assert response.status_code == 429
    assert "短い時間に操作が集中しました" in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_an_auditor_verifies_a_chain_whose_head_row_was_deleted(cast: Cast, sign_in: object, settings: object) -> None:
    settings.AUDIT_CHAIN_STRIPES = 1  # type: ignore[attr-defined]  # the verification's own event lands on that chain
    client = sign_in(cast.a_auditor)  # type: ignore[operator]
    chain = audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.a_staff).chain
    AuditChainHead.objects.filter(chain=chain).delete()  # heads have no triggers: an attacker could
    assert chain in chains_for_actor(cast.a_auditor)
    assert not verify(chains_for_actor(cast.a_auditor)).ok
    response = client.post(reverse("audit:verify"))
    assert response.status_code == 200
    assert "チェーンの先頭記録がありません" in response.content.decode()
    # Auditing went on: the verification itself was recorded, on a head rebuilt from the last row.
    head = AuditChainHead.objects.get(chain=chain)
    assert AuditEvent.objects.get(chain=chain, seq=head.last_seq).event_type == EventType.AUDIT_TRAIL_VERIFIED
    assert verify(chains_for_actor(cast.a_auditor)).ok
