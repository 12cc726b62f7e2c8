"""A signed checklist is current for 12 months, the anniversary day included (Asia/Tokyo days)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from shinchoku.checklists.validity import expiry_for, last_valid_day, valid_until

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("signed", "last_day", "expires"),
    [
        (datetime(2026, 11, 23, 14, 5, tzinfo=TOKYO), date(2027, 11, 23), datetime(2027, 11, 24, tzinfo=TOKYO)),
        # Late in the evening in Tokyo is still that day, though UTC has another date.
        (datetime(2026, 3, 31, 23, 30, tzinfo=TOKYO), date(2027, 3, 31), datetime(2027, 4, 1, tzinfo=TOKYO)),
        (datetime(2026, 3, 31, 15, 30, tzinfo=UTC), date(2027, 4, 1), datetime(2027, 4, 2, tzinfo=TOKYO)),
        # 29 February has no anniversary: the last valid day is 28 February.
        (datetime(2028, 2, 29, 9, 0, tzinfo=TOKYO), date(2029, 2, 28), datetime(2029, 3, 1, tzinfo=TOKYO)),
        (datetime(2026, 12, 31, 9, 0, tzinfo=TOKYO), date(2027, 12, 31), datetime(2028, 1, 1, tzinfo=TOKYO)),
    ],
)
def test_it_is_current_through_the_anniversary_day(signed: datetime, last_day: date, expires: datetime) -> None:
    assert last_valid_day(signed) == last_day
    assert expiry_for(signed) == expires
    assert valid_until(expiry_for(signed)) == last_day
