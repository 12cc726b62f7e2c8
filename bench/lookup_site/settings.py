"""The product's settings, plus the baseline route and miss limits no benchmark user reaches."""

from __future__ import annotations

from shinchoku.settings import *  # noqa: F403 - the product exactly as configured, then two changes

ROOT_URLCONF = "bench.lookup_site.urls"

# The benchmark's care managers miss on purpose (one lookup in five), all from one office
# behind one address, far faster than any person: the product's limits would stop them within
# seconds. Every scope keeps its limits (two per user, two per office, one per address, one
# service-wide) with thresholds no run can reach, so the limit code runs on every request
# exactly as in production — every lookup asks whether it is stopped, every miss locks and
# rewrites its counter rows — yet no user is stopped and no alert is raised.
#
# The windows are short on purpose. In production a row never holds more stamps than its
# largest threshold (the global row: 500), because the miss that reaches it stops further
# counting; with thresholds raised, one-hour windows would let every row's stamp list grow
# through the run, and later rounds would rewrite longer rows than a real deployment ever
# does. At this benchmark's miss rate a 10-second window holds a few hundred stamps.
_NEVER = 1_000_000_000
LOOKUP_MISS_LIMITS = [
    ("user", 5, _NEVER, 5),
    ("user", 10, _NEVER, 10),
    ("office", 5, _NEVER, 5),
    ("office", 10, _NEVER, 10),
    ("ip", 10, _NEVER, 10),
    ("global", 10, _NEVER, 10),
]
