"""Enumeration defence end to end (issue 4 item 6): misses stop lookups for a cooling period
with a clear message, an audit event, and an alert to the insurer's admins by e-mail and in
the service — on the database counters and on Redis."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date, timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
import redis
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.codes import ApplicationKind
from shinchoku.lookup.limits import DatabaseCounter, MissCounter, RedisCounter
from shinchoku.lookup.models import Alert, MissWindow
from tests.cases import make_case
from tests.personas import Cast

pytestmark = pytest.mark.django_db

URL = "/lookup/"
APPLIED = date(2025, 4, 1)
NUMBER = "0000123456"
OnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
# Small limits so a test reaches them: 3 misses a user per 15 minutes, 5 an office per hour,
# 7 an address per hour, 9 in all per hour.
SMALL = [("user", 900, 3, 1800), ("office", 3600, 5, 3600), ("ip", 3600, 7, 3600), ("global", 3600, 9, 3600)]


@pytest.fixture(params=["database", "redis"])
def counter(request: pytest.FixtureRequest, settings: Any) -> Iterator[MissCounter]:
    settings.LOOKUP_MISS_LIMITS = SMALL
    made: MissCounter
    if request.param == "redis":
        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        prefix = f"shinchoku-test:{uuid.uuid4().hex}:"
        made = RedisCounter(client, prefix=prefix)
    else:
        made = DatabaseCounter()
    with mock.patch("shinchoku.lookup.services.miss_counter", return_value=made):
        yield made
    if request.param == "redis":
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


@pytest.fixture(autouse=True)
def _case(cast: Cast) -> None:
    make_case(cast.insurer_a, NUMBER, APPLIED, office_number=cast.office_a.number)


def _client(user: Any, ip: str = "192.0.2.10") -> Client:
    client = Client(REMOTE_ADDR=ip)
    client.force_login(user)
    return client


def _look(client: Client, number: str = NUMBER) -> Any:
    return client.post(
        URL,
        {
            "insurer": "431007",
            "insured_number": number,
            "applied_on_date": APPLIED.isoformat(),
            "application_kind": ApplicationKind.NEW,
        },
    )


def _miss(client: Client, n: int = 1) -> list[Any]:
    return [_look(client, f"{9000000000 + i:010d}") for i in range(n)]


def test_a_user_is_stopped_after_the_limit_with_a_clear_message(
    cast: Cast, counter: MissCounter, django_capture_on_commit_callbacks: OnCommit
) -> None:
    client = _client(cast.office_a_cm)
    assert [r.status_code for r in _miss(client, 2)] == [200, 200]
    with django_capture_on_commit_callbacks(execute=True):
        assert _miss(client)[0].status_code == 200  # the third miss trips the limit
    response = _look(client)  # even the right key is refused now
    assert response.status_code == 429
    html = response.content.decode()
    assert "照会を一時停止しています" in html and "時間をおいて照会してください" in html
    assert "照会結果" not in html and NUMBER not in html.split("<form")[0]
    denied = AuditEvent.objects.filter(event_type=EventType.LOOKUP_CASE_LOOKED_UP, outcome=Outcome.DENIED)
    assert [e.details["scope"] for e in denied] == ["user"]
    exceeded = AuditEvent.objects.get(event_type=EventType.LOOKUP_LIMIT_EXCEEDED)
    assert exceeded.insurer_id == cast.insurer_a.pk and exceeded.details["misses"] == 3


def test_the_insurers_admins_are_alerted_by_mail_and_in_the_service(
    cast: Cast, counter: MissCounter, django_capture_on_commit_callbacks: OnCommit
) -> None:
    client = _client(cast.office_a_cm)
    with django_capture_on_commit_callbacks(execute=True):
        _miss(client, 3)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.a_admin.email]
    assert "進捗照会を一時停止しました" in message.subject
    assert cast.office_a_cm.email in message.body and "/lookup/alerts/" in message.body
    assert "9000000000" not in message.body and NUMBER not in message.body
    alert = Alert.objects.get()
    assert (alert.insurer, alert.scope, alert.misses) == (cast.insurer_a, Alert.Scope.USER, 3)
    # In the service: insurer A's admin and auditor see it and can mark it seen; B's admin cannot.
    admin = _client(cast.a_admin)
    assert cast.office_a_cm.email in admin.get("/lookup/alerts/").content.decode()
    assert cast.office_a_cm.email not in _client(cast.b_admin).get("/lookup/alerts/").content.decode()
    assert _client(cast.b_admin).post(f"/lookup/alerts/{alert.pk}/acknowledge/").status_code == 404
    assert admin.post(f"/lookup/alerts/{alert.pk}/acknowledge/").status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == cast.a_admin
    assert AuditEvent.objects.filter(event_type=EventType.LOOKUP_ALERT_ACKNOWLEDGED).count() == 1


def test_the_stop_ends_after_the_cooling_period(cast: Cast, counter: MissCounter) -> None:
    client = _client(cast.office_a_cm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _miss(client, 3)
        assert _look(client).status_code == 429
        traveller.shift(timedelta(minutes=29))
        assert _look(client).status_code == 429
        traveller.shift(timedelta(minutes=2))
        response = _look(client)
        assert response.status_code == 200 and "照会結果" in response.content.decode()


def test_hits_do_not_count(cast: Cast, counter: MissCounter) -> None:
    client = _client(cast.office_a_cm)
    for _ in range(10):
        assert "照会結果" in _look(client).content.decode()


def test_an_office_is_stopped_when_its_people_miss_together(cast: Cast, counter: MissCounter) -> None:
    _miss(_client(cast.office_a_cm, "192.0.2.1"), 2)
    _miss(_client(cast.office_a_admin, "192.0.2.2"), 2)
    colleague = _client(cast.office_a_cm, "192.0.2.3")
    _miss(colleague)  # the office's fifth miss
    assert _look(_client(cast.office_a_admin, "192.0.2.4")).status_code == 429
    assert Alert.objects.filter(scope=Alert.Scope.OFFICE).exists()
    # Another office carries on.
    assert _look(_client(cast.office_b_cm, "192.0.2.5")).status_code == 200


def test_one_address_is_stopped_across_offices(cast: Cast, counter: MissCounter) -> None:
    ip = "198.51.100.7"
    _miss(_client(cast.office_a_cm, ip), 2)
    _miss(_client(cast.office_b_cm, ip), 2)
    _miss(_client(cast.office_b_admin, ip), 2)
    _miss(_client(cast.office_a_admin, ip), 1)  # the address's seventh miss
    assert _look(_client(cast.outsider, ip)).status_code == 429
    assert _look(_client(cast.outsider, "198.51.100.8")).status_code == 200
    assert Alert.objects.filter(scope=Alert.Scope.IP, subject=ip).exists()


def test_a_service_wide_burst_stops_every_lookup_and_alerts_every_insurer(
    cast: Cast, counter: MissCounter, django_capture_on_commit_callbacks: OnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _miss(_client(cast.office_a_cm, "203.0.113.1"), 2)
        _miss(_client(cast.office_a_admin, "203.0.113.2"), 2)
        _miss(_client(cast.office_b_cm, "203.0.113.3"), 2)
        _miss(_client(cast.office_b_admin, "203.0.113.4"), 2)
        _miss(_client(cast.outsider, "203.0.113.5"), 1)  # the ninth miss anywhere
    assert _look(_client(cast.outsider, "203.0.113.6")).status_code == 429
    global_alerts = Alert.objects.filter(scope=Alert.Scope.GLOBAL)
    assert {a.insurer_id for a in global_alerts} == {cast.insurer_a.pk, cast.insurer_b.pk}
    assert {tuple(m.to) for m in mail.outbox if "サービス全体" in m.body} == {
        (cast.a_admin.email,),
        (cast.b_admin.email,),
    }


def test_two_app_servers_share_the_count(cast: Cast, settings: Any) -> None:
    """Each request builds its own counter, as a second server would; they count together."""
    settings.LOOKUP_MISS_LIMITS = SMALL
    client = _client(cast.office_a_cm)
    with mock.patch("shinchoku.lookup.services.miss_counter", side_effect=DatabaseCounter):
        _miss(client, 3)
        assert _look(client).status_code == 429


def test_the_home_page_of_the_insurers_admin_points_at_unseen_stops(cast: Cast, counter: MissCounter) -> None:
    _miss(_client(cast.office_a_cm), 3)
    admin = _client(cast.a_admin)
    assert "照会を止めた記録が1件あります" in admin.get("/").content.decode()
    assert "照会を止めた記録" not in _client(cast.b_admin).get("/").content.decode()
    admin.post(f"/lookup/alerts/{Alert.objects.get().pk}/acknowledge/")
    assert "照会を止めた記録" not in admin.get("/").content.decode()


def test_the_daily_prune_drops_counters_past_every_window(cast: Cast, settings: Any) -> None:
    settings.LOOKUP_MISS_LIMITS = SMALL
    client = _client(cast.office_a_cm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _miss(client, 2)
        assert MissWindow.objects.count() == 4  # user, office, address, everyone
        out = StringIO()
        call_command("prune_lookup_counters", stdout=out)
        assert MissWindow.objects.count() == 4 and "0件" in out.getvalue()
        traveller.shift(timedelta(hours=2))
        call_command("prune_lookup_counters", stdout=out)
        assert MissWindow.objects.count() == 0


def test_lookups_are_refused_when_the_shared_counters_cannot_be_reached(cast: Cast, settings: Any) -> None:
    settings.LOOKUP_MISS_LIMITS = SMALL
    unreachable = RedisCounter(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2), prefix="x:")
    with mock.patch("shinchoku.lookup.services.miss_counter", return_value=unreachable):
        response = _look(_client(cast.office_a_cm))
    assert response.status_code == 503
    html = response.content.decode()
    assert "照会の回数を確認できないため" in html and "照会結果" not in html and NUMBER not in html


def test_a_stop_with_no_insurer_to_tell_is_still_on_the_record(cast: Cast, counter: MissCounter) -> None:
    client = _client(cast.outsider)
    for i in range(3):
        client.post(
            URL,
            {
                "insurer": "999999",
                "insured_number": f"{9100000000 + i:010d}",
                "applied_on_date": APPLIED.isoformat(),
                "application_kind": ApplicationKind.NEW,
            },
        )
    assert not Alert.objects.exists()
    event = AuditEvent.objects.get(event_type=EventType.LOOKUP_LIMIT_EXCEEDED)
    assert event.insurer_id is None and event.office_id == cast.office_unapproved.pk


def test_an_ipv6_stop_names_the_block_of_addresses_it_covers(cast: Cast, counter: MissCounter) -> None:
    for n, user in enumerate((cast.office_a_cm, cast.office_b_cm, cast.office_a_admin, cast.office_b_admin)):
        _miss(_client(user, f"2001:db8:0:7::{n + 1}"), 2 if n < 3 else 1)
    assert Alert.objects.filter(scope=Alert.Scope.IP, subject="2001:db8:0:7::/64").exists()
