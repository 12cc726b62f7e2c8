"""Argon2id with explicit parameters, above the OWASP/ASVS 5.0 minimum (m=19 MiB, t=2, p=1)."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    # Pinned here rather than inherited, so a Django upgrade cannot silently change them and
    # docs/security.md states exactly what runs. 64 MiB, 3 passes, 2 lanes: ~0.1 s per login on
    # a 2-core app server, which bounds login throughput but never the lookup (sessions are reused).
    algorithm = "argon2"
    memory_cost = 65536
    time_cost = 3
    parallelism = 2
