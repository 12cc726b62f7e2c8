"""Sliding-window limits on care-manager lookups that found nothing (DESIGN T2).

Someone guessing 被保険者番号 misses far more often than a care manager checking their own
clients, so misses are counted per account, office, client address and service-wide, each over
one or more sliding windows (``settings.LOOKUP_MISS_LIMITS``). Reaching a limit stops that key's
lookups for a cooling period; the caller raises the insurer alert from the returned ``Breach``.

Two interchangeable counters: ``DatabaseCounter`` (the default: ``MissWindow`` rows locked while
they change) and ``RedisCounter`` (when ``REDIS_URL`` is set). Both must be shared by every app
server, or an attacker spreading guesses over servers would get a fresh allowance on each.

Time is always the ``now`` the caller passes, never the database's or Redis's clock, so the app
servers must keep NTP time: one server's miss is judged against another server's clock.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q

from shinchoku.lookup.models import Alert, MissWindow
from shinchoku.web.http import client_network

SCOPES: frozenset[str] = frozenset(Alert.Scope.values)


@dataclass(frozen=True)
class Limit:
    scope: str
    window: timedelta
    max_misses: int
    cooling: timedelta

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"unknown scope {self.scope!r}; expected one of {sorted(SCOPES)}")
        if self.window <= timedelta(0):
            raise ValueError(f"{self.scope}: the window must be positive")
        if self.max_misses < 1:
            raise ValueError(f"{self.scope}: max_misses must be at least 1")
        # A shorter cooling would end while the misses that caused it still count, so the very
        # next miss would trip the limit again: a block that flickers instead of cooling down.
        if self.cooling < self.window:
            raise ValueError(
                f"{self.scope}: the cooling period ({self.cooling}) is shorter than the window ({self.window})"
            )


@dataclass(frozen=True)
class Block:
    scope: str
    key: str
    until: datetime


@dataclass(frozen=True)
class Breach:
    scope: str
    key: str
    misses: int
    window: timedelta
    until: datetime


def configured_limits() -> tuple[Limit, ...]:
    """The limits of ``settings.LOOKUP_MISS_LIMITS``; a malformed entry stops the process loudly."""
    limits = []
    for entry in settings.LOOKUP_MISS_LIMITS:
        try:
            scope, window, max_misses, cooling = entry
            limits.append(Limit(scope, timedelta(seconds=window), int(max_misses), timedelta(seconds=cooling)))
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"LOOKUP_MISS_LIMITS entry {entry!r}: {exc}") from exc
    return tuple(limits)


def miss_keys(*, user_id: int, office_id: int | None, ip: str | None) -> dict[str, str]:
    """The counter keys of one lookup, by scope; no office or address means no key for it."""
    keys = {Alert.Scope.USER.value: f"user:{user_id}"}
    if office_id is not None:
        keys[Alert.Scope.OFFICE.value] = f"office:{office_id}"
    if ip and ip.strip():
        keys[Alert.Scope.IP.value] = f"ip:{client_network(ip.strip())}"
    keys[Alert.Scope.GLOBAL.value] = "global"
    return keys


class MissCounter(Protocol):
    def blocked(self, keys: Mapping[str, str], *, now: datetime) -> Block | None: ...

    def record_miss(self, keys: Mapping[str, str], *, now: datetime) -> list[Breach]: ...

    def lift(self, key: str) -> None: ...

    def prune(self, *, now: datetime) -> int: ...


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(UTC)


def _latest(blocks: Iterable[Block]) -> Block | None:
    """The block that ends last; among equal ends the smallest key, so both counters agree."""
    return max(sorted(blocks, key=lambda block: block.key), key=lambda block: block.until, default=None)


class _Policy:
    """The limits grouped by scope, and the rule both counters apply to fresh counts."""

    def __init__(self, limits: Sequence[Limit] | None) -> None:
        by_scope: dict[str, list[Limit]] = {}
        for limit in configured_limits() if limits is None else limits:
            by_scope.setdefault(limit.scope, []).append(limit)
        self.by_scope = {scope: tuple(group) for scope, group in by_scope.items()}
        # A miss older than a scope's longest window can never count again: that is all we keep.
        self.longest = {scope: max(limit.window for limit in group) for scope, group in self.by_scope.items()}

    def counted(self, keys: Mapping[str, str]) -> list[tuple[str, str]]:
        """(key, scope) of the keys some limit looks at, in key order (the lock order)."""
        return sorted((key, scope) for scope, key in keys.items() if scope in self.by_scope)

    def breach(self, scope: str, key: str, counts: Sequence[int], now: datetime) -> Breach | None:
        """The breach these counts (one per limit of the scope) call for, ignoring any current block.

        When several limits trip on the same miss the key is blocked once, for the longest cooling.
        """
        tripped = [
            (limit, count)
            for limit, count in zip(self.by_scope[scope], counts, strict=True)
            if count >= limit.max_misses
        ]
        if not tripped:
            return None
        limit, count = max(tripped, key=lambda pair: (pair[0].cooling, pair[0].window))
        return Breach(scope=scope, key=key, misses=count, window=limit.window, until=now + limit.cooling)


class DatabaseCounter:
    """Counts in ``MissWindow`` rows; exact across app servers because each row is locked while it changes.

    ``record_miss`` writes in the caller's transaction when there is one: if the caller rolls
    back, the miss is forgotten, so the lookup service must commit its misses. Its row locks,
    the "global" row's among them, last until that transaction ends and every miss of every
    server waits on them, so call it last in the transaction.
    """

    def __init__(self, *, limits: Sequence[Limit] | None = None) -> None:
        self._policy = _Policy(limits)

    def blocked(self, keys: Mapping[str, str], *, now: datetime) -> Block | None:
        if not keys:
            return None
        scope_of = {key: scope for scope, key in keys.items()}
        rows = MissWindow.objects.filter(key__in=scope_of, blocked_until__gt=_utc(now)).values_list(
            "key", "blocked_until"
        )
        return _latest(Block(scope=scope_of[key], key=key, until=until) for key, until in rows if until is not None)

    def record_miss(self, keys: Mapping[str, str], *, now: datetime) -> list[Breach]:
        now = _utc(now)
        counted = self._policy.counted(keys)
        if not counted:
            return []
        names = [key for key, _ in counted]
        stamp = now.timestamp()
        breaches = []
        with transaction.atomic():
            # Missing rows are created before any row is locked, so a server that holds locks
            # never waits to create; a conflict means another server created the row first, and
            # both go on to lock that one row.
            existing = set(MissWindow.objects.filter(key__in=names).values_list("key", flat=True))
            missing = [MissWindow(key=key, stamps=[], updated_at=now) for key in names if key not in existing]
            if missing:
                MissWindow.objects.bulk_create(missing, ignore_conflicts=True)
            # Every server locks in the same (the database's) key order, so two misses sharing
            # keys wait for each other instead of deadlocking.
            rows = {
                row.key: row for row in MissWindow.objects.select_for_update().filter(key__in=names).order_by("key")
            }
            for key, scope in counted:
                row = rows[key]
                horizon = stamp - self._policy.longest[scope].total_seconds()
                row.stamps = [*(s for s in row.stamps if s > horizon), stamp]
                row.updated_at = max(row.updated_at, now)
                counts = [
                    sum(1 for s in row.stamps if stamp - limit.window.total_seconds() < s <= stamp)
                    for limit in self._policy.by_scope[scope]
                ]
                breach = self._policy.breach(scope, key, counts, now)
                if breach is not None and (row.blocked_until is None or row.blocked_until <= now):
                    row.blocked_until = breach.until
                    breaches.append(breach)
            MissWindow.objects.bulk_update(list(rows.values()), ["stamps", "blocked_until", "updated_at"])
        return breaches

    def lift(self, key: str) -> None:
        MissWindow.objects.filter(key=key).delete()

    def prune(self, *, now: datetime) -> int:
        """Deletes rows with no miss inside any window of their scope and no block still running."""
        now = _utc(now)
        stale = Q()
        for scope in SCOPES:
            of_scope = Q(key=scope) if scope == Alert.Scope.GLOBAL else Q(key__startswith=f"{scope}:")
            if scope in self._policy.longest:
                # updated_at is the latest miss: at or before now - window, no miss is in any window.
                of_scope &= Q(updated_at__lte=now - self._policy.longest[scope])
            stale |= of_scope
        not_blocked = Q(blocked_until__isnull=True) | Q(blocked_until__lte=now)
        deleted, _ = MissWindow.objects.filter(stale & not_blocked).delete()
        return deleted


# One miss for several keys, atomically: Redis runs a script with nothing in between, so of
# several servers' concurrent misses exactly the one that reaches a limit sees it reached and
# sets the block. KEYS: per key its sorted set and its block key. ARGV: now, the member, then per
# key the trim horizon, the set's expiry (ms) and the number of limits, then per limit the
# window's lower bound (exclusive), max_misses, the block's end and the block's expiry (ms).
# Returns per key {1 if it set a block else 0, count of each limit...}.
#
# A running block is judged by its stored end against the caller's `now`, not by whether the
# key still exists (SET NX), which would ask Redis's clock; expiries only reclaim memory.
_RECORD_MISS = """
local now = ARGV[1]
local a = 3
local results = {}
for i = 1, #KEYS, 2 do
    local misses, block = KEYS[i], KEYS[i + 1]
    redis.call('ZADD', misses, now, ARGV[2])
    redis.call('ZREMRANGEBYSCORE', misses, '-inf', ARGV[a])
    redis.call('PEXPIRE', misses, ARGV[a + 1])
    local limits = tonumber(ARGV[a + 2])
    a = a + 3
    local reply = {0}
    local ends, expiry = nil, nil
    for j = 1, limits do
        local count = redis.call('ZCOUNT', misses, '(' .. ARGV[a], now)
        reply[j + 1] = count
        if count >= tonumber(ARGV[a + 1]) and (ends == nil or tonumber(ARGV[a + 2]) > tonumber(ends)) then
            ends, expiry = ARGV[a + 2], ARGV[a + 3]
        end
        a = a + 4
    end
    if ends then
        local current = tonumber(redis.call('GET', block) or '')
        if current == nil or current <= tonumber(now) then
            redis.call('SET', block, ends, 'PX', expiry)
            reply[1] = 1
        end
    end
    results[#results + 1] = reply
end
return results
"""


class RedisCounter:
    """Counts in Redis: per key a sorted set of miss times and, while blocked, a block key.

    Keys: ``{prefix}misses:{key}`` (members "<epoch>:<uuid>", score the epoch seconds; trimmed to
    the scope's longest window) and ``{prefix}blocked:{key}`` (value: the block's end in epoch
    seconds). Expiries are relative durations (the longest window; the cooling period), so they
    stay right whatever the offset between Redis's clock and ours; they only reclaim memory.
    Writes take effect at once, whatever database transaction the caller is in.
    """

    def __init__(
        self, client: redis.Redis, *, prefix: str = "shinchoku:lookup:", limits: Sequence[Limit] | None = None
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._policy = _Policy(limits)
        self._record_miss = client.register_script(_RECORD_MISS)

    def _misses(self, key: str) -> str:
        return f"{self._prefix}misses:{key}"

    def _block(self, key: str) -> str:
        return f"{self._prefix}blocked:{key}"

    def blocked(self, keys: Mapping[str, str], *, now: datetime) -> Block | None:
        if not keys:
            return None
        now = _utc(now)
        pairs = list(keys.items())
        values = self._client.mget([self._block(key) for _, key in pairs])
        blocks = []
        for (scope, key), value in zip(pairs, values, strict=True):
            if value is not None:
                until = datetime.fromtimestamp(float(value), tz=UTC)
                if until > now:
                    blocks.append(Block(scope=scope, key=key, until=until))
        return _latest(blocks)

    def record_miss(self, keys: Mapping[str, str], *, now: datetime) -> list[Breach]:
        now = _utc(now)
        counted = self._policy.counted(keys)
        if not counted:
            return []
        stamp = now.timestamp()
        # Bounds and ends are computed here, once, so that Redis compares exactly the numbers
        # the database counter would.
        names: list[str] = []
        args: list[str | int] = [repr(stamp), f"{stamp!r}:{uuid.uuid4().hex}"]
        for key, scope in counted:
            names += [self._misses(key), self._block(key)]
            longest = self._policy.longest[scope]
            args += [repr(stamp - longest.total_seconds()), _milliseconds(longest), len(self._policy.by_scope[scope])]
            for limit in self._policy.by_scope[scope]:
                ends = (now + limit.cooling).timestamp()
                args += [
                    repr(stamp - limit.window.total_seconds()),
                    limit.max_misses,
                    repr(ends),
                    _milliseconds(limit.cooling),
                ]
        replies = self._record_miss(keys=names, args=args)
        breaches = []
        for (key, scope), (blocked_now, *counts) in zip(counted, replies, strict=True):
            if blocked_now:
                # The script blocked for the longest cooling among the tripped limits, the
                # same choice as the policy's, so this breach ends when the stored block does.
                breach = self._policy.breach(scope, key, [int(count) for count in counts], now)
                if breach is None:
                    raise RuntimeError(f"the Redis script blocked {key} although no limit was reached")
                breaches.append(breach)
        return breaches

    def lift(self, key: str) -> None:
        self._client.delete(self._misses(key), self._block(key))

    def prune(self, *, now: datetime) -> int:
        """Nothing to do: trimming happens on every miss and Redis expires idle keys itself."""
        return 0


def _milliseconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() * 1000))


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    # One client (and connection pool) per process and URL. Timeouts so that a stalled Redis
    # fails the lookup (which then refuses to answer) instead of hanging the worker.
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def miss_counter() -> MissCounter:
    """The counter every app server shares: Redis when configured, the database otherwise."""
    url: str | None = settings.REDIS_URL
    if url:
        return RedisCounter(_redis_client(url))
    return DatabaseCounter()
