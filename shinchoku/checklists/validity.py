"""How long a signed checklist stands, and when its office is reminded.

A checklist signed on 23 November 2026 is valid through 23 November 2027, the anniversary
included, and has expired from 00:00 (Asia/Tokyo) on the 24th: whole days, so that "valid
until" is one date for everyone and the daily reminder run, whatever its hour, writes on the
day a checklist expires. The reminder before expiry is due 30 days before that moment.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from django.utils import timezone

VALID_MONTHS = 12
REMIND_BEFORE = timedelta(days=30)


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def last_valid_day(signed_at: datetime) -> date:
    """The anniversary of the signing day ``VALID_MONTHS`` months on (29 February → 28 February)."""
    return _add_months(timezone.localdate(signed_at, timezone.get_default_timezone()), VALID_MONTHS)


def expiry_for(signed_at: datetime) -> datetime:
    """The moment a checklist signed at ``signed_at`` stops being current: the start of the day
    after its last valid day."""
    following = last_valid_day(signed_at) + timedelta(days=1)
    return timezone.make_aware(datetime.combine(following, time.min), timezone.get_default_timezone())


def valid_until(expires_at: datetime) -> date:
    """The last day on which a checklist expiring at ``expires_at`` is current."""
    return timezone.localdate(expires_at - timedelta(microseconds=1), timezone.get_default_timezone())
