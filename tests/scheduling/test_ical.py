"""The calendar feed as another calendar program reads it back (RFC 5545 values)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from painrewire.scheduling.core.ical import build_calendar


def test_the_feed_asks_to_be_refreshed_hourly_with_rfc5545_durations() -> None:
    body = build_calendar([], name="Appointments", alarms=[], stamp=datetime(2026, 3, 2, 9, tzinfo=UTC))

    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    calendar = icalendar.Calendar.from_ical(body)
    assert icalendar.vDuration.from_ical(str(calendar["X-PUBLISHED-TTL"])) == timedelta(hours=1)
