"""The sliding-window miss limits of the care-manager lookup (DESIGN T2), on both counters.

Every behaviour test runs against the database counter and a real Redis; time is the ``now``
passed in, so no test sleeps. "App servers" are separate counter instances (and, for Redis,
separate connections): a limit must hold for the misses of all of them together.
"""

from __future__ import annotations

import itertools
import os
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django import DjangoAssertNumQueries, DjangoDbBlocker

from shinchoku.audit import triggers
from shinchoku.lookup import limits
from shinchoku.lookup.limits import (
    Block,
    Breach,
    DatabaseCounter,
    Limit,
    MissCounter,
    RedisCounter,
    configured_limits,
    miss_counter,
    miss_keys,
)
from shinchoku.lookup.models import MissWindow

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("SHINCHOKU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
USER_1 = {"user": "user:1"}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def limit(scope: str, window: float, max_misses: int, cooling: float) -> Limit:
    return Limit(scope, timedelta(seconds=window), max_misses, timedelta(seconds=cooling))


MINUTE_3 = limit("user", 60, 3, 120)  # three misses in a minute stop the account for two minutes

AppServer = Callable[[Sequence[Limit]], MissCounter]


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"shinchoku:test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        left = list(client.scan_iter(match=f"{prefix}*"))
        if left:
            client.delete(*left)
    finally:
        client.close()


@pytest.fixture
def redis_client() -> Iterator[Callable[[], redis.Redis]]:
    """Opens a new connection to Redis (one per app server); all are closed afterwards."""
    opened: list[redis.Redis] = []

    def connect() -> redis.Redis:
        opened.append(redis.Redis.from_url(REDIS_URL))
        return opened[-1]

    yield connect
    for client in opened:
        client.close()


@pytest.fixture
def redis_connection(redis_client: Callable[[], redis.Redis]) -> redis.Redis:
    return redis_client()


@pytest.fixture(params=["database", "redis"])
def app_server(request: pytest.FixtureRequest, redis_prefix: str, redis_client: Callable[[], redis.Redis]) -> AppServer:
    """Starts an app server's counter with the given limits; every server shares one store."""

    def start(limits: Sequence[Limit]) -> MissCounter:
        if request.param == "database":
            return DatabaseCounter(limits=limits)
        return RedisCounter(redis_client(), prefix=redis_prefix, limits=limits)

    return start


def misses(counter: MissCounter, keys: Mapping[str, str], *seconds: float) -> list[Breach]:
    """Records a miss at each of the times; returns every breach they raised."""
    return [breach for s in seconds for breach in counter.record_miss(keys, now=at(s))]


# ---------------------------------------------------------------------------------------------
# Windows, tripping and cooling
# ---------------------------------------------------------------------------------------------


def test_a_limit_trips_at_exactly_its_number_of_misses(app_server: AppServer) -> None:
    counter = app_server([MINUTE_3])
    assert misses(counter, USER_1, 0, 1) == []
    assert counter.blocked(USER_1, now=at(1)) is None

    assert counter.record_miss(USER_1, now=at(2)) == [
        Breach(scope="user", key="user:1", misses=3, window=timedelta(seconds=60), until=at(122))
    ]
    assert counter.blocked(USER_1, now=at(2)) == Block(scope="user", key="user:1", until=at(122))


def test_misses_older_than_the_window_no_longer_count(app_server: AppServer) -> None:
    counter = app_server([MINUTE_3])
    # A miss exactly one window old has left it: at 60 only the misses at 30 and 60 count.
    assert misses(counter, USER_1, 0, 30, 60) == []
    assert misses(counter, USER_1, 91) == []  # 60 and 91
    assert counter.blocked(USER_1, now=at(91)) is None
    assert [b.misses for b in misses(counter, USER_1, 95)] == [3]  # 60, 91 and 95


def test_misses_at_the_same_instant_all_count(app_server: AppServer) -> None:
    first, second = app_server([MINUTE_3]), app_server([MINUTE_3])
    assert misses(first, USER_1, 5) + misses(second, USER_1, 5) == []
    assert [b.misses for b in misses(first, USER_1, 5)] == [3]


def test_the_block_ends_with_the_cooling_period_and_counting_starts_afresh(app_server: AppServer) -> None:
    counter = app_server([MINUTE_3])
    [breach] = misses(counter, USER_1, 0, 1, 2)
    assert breach.until == at(122)
    assert counter.blocked(USER_1, now=at(122) - timedelta(microseconds=1)) == Block("user", "user:1", at(122))
    assert counter.blocked(USER_1, now=at(122)) is None
    # The cooling period is at least the window, so the misses that caused the block are gone.
    assert misses(counter, USER_1, 122, 123) == []
    assert counter.blocked(USER_1, now=at(123)) is None


def test_a_blocked_key_is_neither_blocked_again_nor_extended(app_server: AppServer) -> None:
    counter = app_server([MINUTE_3])
    assert len(misses(counter, USER_1, 0, 1, 2)) == 1
    assert misses(counter, USER_1, 3, 4, 5, 100, 121) == []
    assert counter.blocked(USER_1, now=at(121)) == Block("user", "user:1", at(122))
    # Once it has ended, the misses that still count can trip it anew (100, 121 and 122).
    assert misses(counter, USER_1, 122) == [Breach("user", "user:1", 3, timedelta(seconds=60), at(242))]


def test_a_short_and_a_long_window_of_one_scope_both_hold(app_server: AppServer) -> None:
    hour_5 = limit("user", 3600, 5, 7200)
    counter = app_server([MINUTE_3, hour_5])
    # Slow and steady stays under three a minute but not under five an hour...
    assert misses(counter, USER_1, 0, 40, 80, 120) == []
    assert misses(counter, USER_1, 160) == [Breach("user", "user:1", 5, timedelta(hours=1), at(160 + 7200))]
    # ...and a burst trips the minute's limit long before the hour's.
    burst = {"user": "user:2"}
    assert misses(counter, burst, 0, 1, 2) == [Breach("user", "user:2", 3, timedelta(minutes=1), at(122))]


def test_when_two_limits_trip_on_one_miss_the_longer_cooling_wins(app_server: AppServer) -> None:
    counter = app_server([MINUTE_3, limit("user", 3600, 3, 7200)])
    assert misses(counter, USER_1, 0, 1, 2) == [Breach("user", "user:1", 3, timedelta(hours=1), at(7202))]
    assert counter.blocked(USER_1, now=at(1000)) == Block("user", "user:1", at(7202))


def test_scopes_and_keys_count_independently(app_server: AppServer) -> None:
    counter = app_server([MINUTE_3, limit("office", 60, 5, 300)])
    first = {"user": "user:1", "office": "office:7"}
    second = {"user": "user:2", "office": "office:7"}
    assert [b.key for b in misses(counter, first, 0, 1, 2)] == ["user:1"]  # the office has 3 of 5
    assert [b.key for b in misses(counter, second, 3, 4)] == ["office:7"]  # user 2 has 2 of 3
    assert counter.blocked(second, now=at(5)) == Block("office", "office:7", at(304))
    assert counter.blocked({"user": "user:2"}, now=at(5)) is None
    assert counter.blocked({"user": "user:3", "office": "office:8"}, now=at(5)) is None


def test_blocked_names_the_block_that_ends_last(app_server: AppServer) -> None:
    counter = app_server([MINUTE_3, limit("office", 60, 4, 120)])
    keys = {"user": "user:1", "office": "office:1"}
    assert [b.key for b in misses(counter, keys, 0, 1, 2)] == ["user:1"]  # until 122
    assert [b.key for b in misses(counter, {"user": "user:2", "office": "office:1"}, 10)] == ["office:1"]  # until 130
    assert counter.blocked(keys, now=at(20)) == Block("office", "office:1", at(130))
    assert counter.blocked({"user": "user:1"}, now=at(20)) == Block("user", "user:1", at(122))
    assert counter.blocked(keys, now=at(125)) == Block("office", "office:1", at(130))
    assert counter.blocked(keys, now=at(130)) is None


def test_lifting_a_block_ends_it_and_forgets_the_misses(app_server: AppServer) -> None:
    counter = app_server([MINUTE_3])
    assert len(misses(counter, USER_1, 0, 1, 2)) == 1
    counter.lift("user:1")
    assert counter.blocked(USER_1, now=at(3)) is None
    assert misses(counter, USER_1, 3, 4) == []  # had the misses been kept, 3 would have tripped it
    counter.lift("user:404")  # a key never counted: nothing to do


def test_a_miss_counts_inside_the_callers_transaction(app_server: AppServer) -> None:
    counter = app_server([MINUTE_3])
    with transaction.atomic():
        breaches = misses(counter, USER_1, 0, 1, 2)
        assert counter.blocked(USER_1, now=at(2)) is not None
    assert len(breaches) == 1
    assert counter.blocked(USER_1, now=at(3)) == Block("user", "user:1", at(122))


def test_keys_of_a_scope_without_limits_are_not_counted(app_server: AppServer) -> None:
    counter = app_server([MINUTE_3])
    keys = {"user": "user:1", "global": "global"}
    assert [b.key for b in misses(counter, keys, 0, 1, 2)] == ["user:1"]
    assert counter.blocked({"global": "global"}, now=at(3)) is None


def test_a_naive_time_is_refused(app_server: AppServer) -> None:
    counter = app_server([MINUTE_3])
    with pytest.raises(ValueError, match="aware"):
        counter.record_miss(USER_1, now=datetime(2026, 4, 1, 9, 0))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="aware"):
        counter.blocked(USER_1, now=datetime(2026, 4, 1, 9, 0))  # noqa: DTZ001


# ---------------------------------------------------------------------------------------------
# Several app servers
# ---------------------------------------------------------------------------------------------


def test_two_app_servers_trip_the_limit_at_their_combined_count(app_server: AppServer) -> None:
    first, second = app_server([MINUTE_3]), app_server([MINUTE_3])
    assert misses(first, USER_1, 0) == []
    assert misses(second, USER_1, 1) == []
    assert misses(first, USER_1, 2) == [Breach("user", "user:1", 3, timedelta(seconds=60), at(122))]
    # The other server sees the block and does not report it a second time.
    assert second.blocked(USER_1, now=at(3)) == Block("user", "user:1", at(122))
    assert misses(second, USER_1, 3, 4) == []
    assert first.blocked(USER_1, now=at(5)) == Block("user", "user:1", at(122))


# Every server misses for the same account, office and service; the mappings list the keys in
# different orders, so a counter that locked them in the caller's order would deadlock.
SHARED = [("user", "user:1"), ("office", "office:1"), ("global", "global")]
CROWD = [limit("user", 3600, 20, 3600), limit("office", 3600, 100, 3600), limit("global", 3600, 30, 3600)]


def test_eight_redis_connections_at_once_count_every_miss_and_trip_once(
    redis_prefix: str, redis_client: Callable[[], redis.Redis]
) -> None:
    servers = [RedisCounter(redis_client(), prefix=redis_prefix, limits=CROWD) for _ in range(8)]
    breaches = _concurrently(servers, per_server=5)
    assert sorted((b.key, b.misses) for b in breaches) == [("global", 30), ("user:1", 20)]
    client = redis_client()
    assert [client.zcard(f"{redis_prefix}misses:{key}") for _, key in SHARED] == [40, 40, 40]


def _concurrently(
    servers: Sequence[MissCounter], *, per_server: int, close: Callable[[], None] | None = None
) -> list[Breach]:
    """Each server records its misses for the SHARED keys in its own thread, all starting together."""
    start = threading.Barrier(len(servers))
    found: list[Breach] = []
    errors: list[BaseException] = []

    def run(index: int, counter: MissCounter) -> None:
        keys = dict(SHARED[index % 3 :] + SHARED[: index % 3])
        try:
            start.wait(timeout=30)
            for _ in range(per_server):
                # One instant for all: a miss counts the misses up to its own time, so with
                # distinct times the miss that sees the 20th need not be the 20th recorded.
                found.extend(counter.record_miss(keys, now=T0))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread below
            errors.append(exc)
        finally:
            if close is not None:
                close()

    threads = [threading.Thread(target=run, args=(i, server)) for i, server in enumerate(servers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return found


def _close_this_threads_connection() -> None:
    connection.close()  # looked up at call time: each thread has a connection of its own


@pytest.fixture(scope="module")
def _audit_triggers_back_afterwards(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        triggers.remove(connection)
        triggers.install(connection)


@pytest.fixture
def committed_postgres(transactional_db: None, _audit_triggers_back_afterwards: None) -> Iterator[None]:
    """Committed data on PostgreSQL, where row locks are real (SQLite has one writer anyway).

    The audit table refuses TRUNCATE, so its triggers go just before pytest-django empties the
    tables and come back after this module (as in the leak drill).
    """
    if connection.vendor != "postgresql":
        pytest.skip("row locks between sessions need PostgreSQL; `make test` runs this on PostgreSQL")
    yield
    triggers.remove(connection)


@pytest.mark.django_db(transaction=True)
def test_eight_database_sessions_at_once_count_every_miss_and_trip_once(committed_postgres: None) -> None:
    servers = [DatabaseCounter(limits=CROWD) for _ in range(8)]
    breaches = _concurrently(servers, per_server=5, close=_close_this_threads_connection)
    # Without the row lock two sessions read the same stamps and one's miss is lost; both may
    # then see the 20th miss and report it.
    assert sorted((b.key, b.misses) for b in breaches) == [("global", 30), ("user:1", 20)]
    assert [len(MissWindow.objects.get(key=key).stamps) for _, key in SHARED] == [40, 40, 40]


# ---------------------------------------------------------------------------------------------
# Cost, storage and housekeeping
# ---------------------------------------------------------------------------------------------


def test_blocked_is_one_query(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    counter = DatabaseCounter(limits=[MINUTE_3])
    misses(counter, USER_1, 0, 1, 2)
    keys = miss_keys(user_id=1, office_id=3, ip="192.0.2.1")
    with django_assert_num_queries(1):
        assert counter.blocked(keys, now=at(3)) == Block("user", "user:1", at(122))


def test_blocked_is_one_redis_command(
    redis_prefix: str, redis_client: Callable[[], redis.Redis], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = redis_client()
    counter = RedisCounter(client, prefix=redis_prefix, limits=[MINUTE_3])
    misses(counter, USER_1, 0, 1, 2)
    sent: list[object] = []
    execute: Callable[..., Any] = client.execute_command

    def counting(*args: Any, **options: Any) -> Any:
        sent.append(args[0])
        return execute(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    keys = miss_keys(user_id=1, office_id=3, ip="192.0.2.1")
    assert counter.blocked(keys, now=at(3)) == Block("user", "user:1", at(122))
    assert sent == ["MGET"]


def test_redis_keys_are_named_and_expire_as_documented(
    redis_prefix: str, redis_client: Callable[[], redis.Redis]
) -> None:
    client = redis_client()
    counter = RedisCounter(client, prefix=redis_prefix, limits=[MINUTE_3, limit("user", 600, 10, 600)])
    [breach] = misses(counter, USER_1, 0, 1, 2)
    assert client.zcard(f"{redis_prefix}misses:user:1") == 3
    assert 0 < client.pttl(f"{redis_prefix}misses:user:1") <= 600_000  # the longest window
    assert float(client.get(f"{redis_prefix}blocked:user:1") or 0) == breach.until.timestamp()
    assert 0 < client.pttl(f"{redis_prefix}blocked:user:1") <= 120_000  # the cooling period
    counter.lift("user:1")
    assert client.exists(f"{redis_prefix}misses:user:1", f"{redis_prefix}blocked:user:1") == 0


def test_pruning_drops_only_what_no_limit_can_see() -> None:
    counter = DatabaseCounter(limits=[limit("user", 600, 3, 1200), limit("global", 60, 100, 60)])
    misses(counter, {"user": "user:1", "global": "global"}, 0)
    assert len(misses(counter, {"user": "user:2"}, 0, 0, 0)) == 1  # blocked until 1200
    misses(counter, {"user": "user:3", "global": "global"}, 100)
    DatabaseCounter(limits=[limit("office", 60, 5, 60)]).record_miss({"office": "office:9"}, now=at(500))

    # The global miss at 100 left its 60-second window at 160; office limits are gone altogether.
    assert counter.prune(now=at(600) - timedelta(microseconds=1)) == 2
    assert counter.prune(now=at(600)) == 1  # user 1's miss has just left the 600-second window
    assert set(MissWindow.objects.values_list("key", flat=True)) == {"user:2", "user:3"}
    assert counter.prune(now=at(600)) == 0

    assert counter.blocked({"user": "user:2"}, now=at(600)) == Block("user", "user:2", at(1200))
    assert [b.key for b in misses(counter, {"user": "user:3"}, 601, 602)] == ["user:3"]  # 100 still counted
    assert counter.prune(now=at(1200 + 600)) == 1  # user 2: block over, misses out of the window
    assert counter.prune(now=at(602 + 1200)) == 1  # user 3: the same, later


def test_pruning_redis_removes_nothing_itself(redis_prefix: str, redis_client: Callable[[], redis.Redis]) -> None:
    counter = RedisCounter(redis_client(), prefix=redis_prefix, limits=[MINUTE_3])
    misses(counter, USER_1, 0, 1)
    assert counter.prune(now=at(3600)) == 0
    assert len(misses(counter, USER_1, 2)) == 1


# ---------------------------------------------------------------------------------------------
# Configuration and keys
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "window", "max_misses", "cooling", "message"),
    [
        ("user", 600, 5, 300, "shorter than the window"),
        ("user", 0, 5, 300, "window must be positive"),
        ("user", 600, 0, 600, "at least 1"),
        ("planet", 600, 5, 600, "unknown scope"),
    ],
)
def test_a_malformed_limit_is_refused(scope: str, window: int, max_misses: int, cooling: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        limit(scope, window, max_misses, cooling)
    with (
        override_settings(LOOKUP_MISS_LIMITS=[(scope, window, max_misses, cooling)]),
        pytest.raises(ImproperlyConfigured, match=message),
    ):
        configured_limits()


def test_the_configured_limits_are_read_from_the_settings() -> None:
    found = configured_limits()
    assert found[0] == Limit("user", timedelta(minutes=15), 5, timedelta(minutes=30))
    assert {limit.scope for limit in found} == {"user", "office", "ip", "global"}
    with override_settings(LOOKUP_MISS_LIMITS=[("ip", 60, 2, 90)]):
        assert configured_limits() == (limit("ip", 60, 2, 90),)
        counter = DatabaseCounter()  # no limits given: the settings' limits
        assert [b.until for b in misses(counter, {"ip": "ip:192.0.2.1"}, 0, 1)] == [at(91)]


@pytest.mark.parametrize(
    ("office_id", "ip", "expected"),
    [
        (3, "192.0.2.1", {"user": "user:12", "office": "office:3", "ip": "ip:192.0.2.1", "global": "global"}),
        (None, None, {"user": "user:12", "global": "global"}),
        (3, "", {"user": "user:12", "office": "office:3", "global": "global"}),
        (None, " 192.0.2.1 ", {"user": "user:12", "ip": "ip:192.0.2.1", "global": "global"}),
        # One counter per IPv6 /64, which is what one customer usually gets; mapped IPv4 is IPv4.
        (None, "2001:DB8:0:7:abcd::1", {"user": "user:12", "ip": "ip:2001:db8:0:7::/64", "global": "global"}),
        (None, "::ffff:192.0.2.1", {"user": "user:12", "ip": "ip:192.0.2.1", "global": "global"}),
    ],
)
def test_the_keys_of_a_lookup(office_id: int | None, ip: str | None, expected: dict[str, str]) -> None:
    assert miss_keys(user_id=12, office_id=office_id, ip=ip) == expected


def test_a_value_that_is_no_address_still_gets_a_bounded_key() -> None:
    keys = miss_keys(user_id=1, office_id=None, ip="x" * 500)
    assert keys["ip"] == "ip:" + "x" * 64
    assert len(keys["ip"]) <= MissWindow._meta.get_field("key").max_length  # type: ignore[operator]


@pytest.fixture
def _no_cached_client() -> Iterator[None]:
    limits._redis_client.cache_clear()
    yield
    limits._redis_client.cache_clear()


@pytest.mark.usefixtures("_no_cached_client")
def test_the_counter_is_redis_when_configured_and_the_database_otherwise() -> None:
    with override_settings(REDIS_URL=None):
        assert isinstance(miss_counter(), DatabaseCounter)
    with override_settings(REDIS_URL=REDIS_URL):
        first, second = miss_counter(), miss_counter()
        assert isinstance(first, RedisCounter)
        assert isinstance(second, RedisCounter)
    assert limits._redis_client(REDIS_URL) is limits._redis_client(REDIS_URL)  # one client per process


# ---------------------------------------------------------------------------------------------
# Both counters agree with each other and with a plain model of the rules
# ---------------------------------------------------------------------------------------------


class Model:
    """The rules written as plainly as possible: every miss kept, counted by brute force."""

    def __init__(self, limits: Sequence[Limit]) -> None:
        self.limits = limits
        self.stamps: dict[str, list[datetime]] = defaultdict(list)
        self.until: dict[str, datetime] = {}

    def record_miss(self, keys: Mapping[str, str], *, now: datetime) -> list[Breach]:
        breaches = []
        for scope, key in sorted(keys.items(), key=lambda item: item[1]):
            mine = [limit for limit in self.limits if limit.scope == scope]
            if not mine:
                continue
            self.stamps[key].append(now)
            counts = [sum(1 for s in self.stamps[key] if now - limit.window < s <= now) for limit in mine]
            tripped = [(limit, n) for limit, n in zip(mine, counts, strict=True) if n >= limit.max_misses]
            if tripped and not (key in self.until and self.until[key] > now):
                chosen, n = max(tripped, key=lambda pair: (pair[0].cooling, pair[0].window))
                self.until[key] = now + chosen.cooling
                breaches.append(Breach(scope, key, n, chosen.window, self.until[key]))
        return breaches

    def blocked(self, keys: Mapping[str, str], *, now: datetime) -> Block | None:
        active = [Block(scope, key, self.until[key]) for scope, key in keys.items() if self.until.get(key, now) > now]
        return min(active, key=lambda block: (-block.until.timestamp(), block.key), default=None)


def limit_sets(scope: str) -> st.SearchStrategy[list[Limit]]:
    one = st.builds(
        lambda window, max_misses, extra: limit(scope, window, max_misses, window + extra),
        st.integers(min_value=1, max_value=30),
        st.integers(min_value=1, max_value=4),
        st.integers(min_value=0, max_value=30),
    )
    return st.lists(one, min_size=1, max_size=2)


EVENTS = st.lists(
    st.tuples(
        st.sampled_from([0, 0, 0.5, 1, 2, 3, 5, 10, 20, 31]),  # seconds since the previous event
        st.sampled_from(["miss", "check"]),
        st.integers(min_value=0, max_value=2),  # which user (all share the "global" key)
    ),
    min_size=1,
    max_size=25,
)
RUNS = itertools.count()


@settings(
    max_examples=60,
    deadline=None,
    database=None,  # no example database left in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(user_limits=limit_sets("user"), global_limits=limit_sets("global"), events=EVENTS)
def test_both_counters_agree_with_the_rules(
    redis_prefix: str,
    redis_connection: redis.Redis,
    user_limits: list[Limit],
    global_limits: list[Limit],
    events: list[tuple[float, str, int]],
) -> None:
    run = next(RUNS)  # fresh keys for every example: the stores are shared by all of them
    rules = [*user_limits, *global_limits]
    counters: dict[str, Model | MissCounter] = {
        "model": Model(rules),
        "database": DatabaseCounter(limits=rules),
        "redis": RedisCounter(redis_connection, prefix=redis_prefix, limits=rules),
    }
    elapsed = 0.0
    for gap, action, user in events:
        elapsed += gap
        keys = {"user": f"user:{run}-{user}", "global": f"global:{run}"}
        if action == "miss":
            answers: dict[str, object] = {
                name: counter.record_miss(keys, now=at(elapsed)) for name, counter in counters.items()
            }
        else:
            answers = {name: counter.blocked(keys, now=at(elapsed)) for name, counter in counters.items()}
        assert answers["database"] == answers["model"], (elapsed, action, answers)
        assert answers["redis"] == answers["model"], (elapsed, action, answers)
