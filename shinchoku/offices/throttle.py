"""How often one client may submit the public registration form (``settings.OFFICES_REGISTRATION_LIMITS``).

Every POST counts, accepted or refused: each one costs an upload, a file check and, when it
succeeds, rows, a pending application in an insurer's review list and e-mails to an address the
sender typed. The figures and why they are what they are: ``docs/onboarding.md`` (section 4).
Counting is per client network (an IPv4 address; an IPv6 /64, which one subscriber usually holds
whole) in ``RegistrationAttempt`` rows in the database, so every app server shares the count.

Each attempt is committed in its own transaction before the form is looked at, so a
registration that fails and rolls back still counts. Two requests racing at the edge may both
see the other's row and both be refused; neither can slip past the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac

from shinchoku.offices.models import RegistrationAttempt
from shinchoku.web.http import client_network


@dataclass(frozen=True)
class Refusal:
    window: timedelta
    allowed: int


def client_key(ip: str | None) -> str:
    """A keyed digest of the client's network: enough to count, nothing to read back."""
    network = client_network(ip.strip()) if ip and ip.strip() else "unknown"
    return salted_hmac("shinchoku.offices.registration", network, algorithm="sha256").hexdigest()


def limits() -> list[tuple[timedelta, int]]:
    return [(timedelta(seconds=window), allowed) for window, allowed in settings.OFFICES_REGISTRATION_LIMITS]


def registration_attempt(ip: str | None, *, now: datetime) -> Refusal | None:
    """Counts one submission from ``ip``; a ``Refusal`` if it goes past a limit (then refuse it)."""
    configured = limits()
    longest = max((window for window, _ in configured), default=timedelta(0))
    key = client_key(ip)
    with transaction.atomic():
        # Attempts older than every window never count again.
        RegistrationAttempt.objects.filter(at__lte=now - longest).delete()
        RegistrationAttempt.objects.create(key=key, at=now)
        for window, allowed in configured:
            if RegistrationAttempt.objects.filter(key=key, at__gt=now - window).count() > allowed:
                return Refusal(window, allowed)
    return None
