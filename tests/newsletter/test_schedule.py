"""The schedule rules, across zones and DST changes (pure: no database, no clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from service.models import ScheduleMode
from service.newsletter.schedule import (
    ScheduleError,
    at_clinic_time,
    at_subscriber_hour,
    due_at,
    group_instant,
    parse_day,
    parse_when,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(("wall", "zone", "expected"), [
    ("2026-03-03T09:00", "America/Chicago", datetime(2026, 3, 3, 15, tzinfo=UTC)),  # CST
    ("2026-03-09T09:00", "America/Chicago", datetime(2026, 3, 9, 14, tzinfo=UTC)),  # CDT
    ("2026-03-08T02:30", "America/Chicago", datetime(2026, 3, 8, 8, 30, tzinfo=UTC)),  # gap
    ("2026-11-01T01:30", "America/Chicago", datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),  # twice
    ("2026-03-29T09:00", "Europe/Berlin", datetime(2026, 3, 29, 7, tzinfo=UTC)),  # CEST
    ("2026-03-03T09:00", "Asia/Kolkata", datetime(2026, 3, 3, 3, 30, tzinfo=UTC)),
    ("2026-03-03T09:00-05:00", "America/Chicago", datetime(2026, 3, 3, 14, tzinfo=UTC)),
])
def test_a_clinic_time_is_one_instant(wall: str, zone: str, expected: datetime) -> None:
    chosen = parse_when(wall, zone, NOW)
    assert (chosen.mode, chosen.at) == (ScheduleMode.CLINIC_TIME, expected)


@pytest.mark.parametrize(("day", "zone", "hour", "expected"), [
    (date(2026, 3, 9), "America/Chicago", 9, datetime(2026, 3, 9, 14, tzinfo=UTC)),
    (date(2026, 3, 9), "America/Los_Angeles", 9, datetime(2026, 3, 9, 16, tzinfo=UTC)),
    (date(2026, 3, 9), "Europe/London", 9, datetime(2026, 3, 9, 9, tzinfo=UTC)),
    (date(2026, 3, 30), "Europe/London", 9, datetime(2026, 3, 30, 8, tzinfo=UTC)),  # BST
    (date(2026, 3, 9), "Pacific/Auckland", 7, datetime(2026, 3, 8, 18, tzinfo=UTC)),
    (date(2026, 3, 9), "Asia/Kathmandu", 18, datetime(2026, 3, 9, 12, 15, tzinfo=UTC)),
    (date(2026, 3, 8), "America/Chicago", 2, datetime(2026, 3, 8, 8, tzinfo=UTC)),  # gap
    (date(2026, 3, 9), "Not/AZone", 9, datetime(2026, 3, 9, 14, tzinfo=UTC)),  # clinic's
])
def test_each_subscriber_gets_it_at_their_own_hour(
    day: date, zone: str, hour: int, expected: datetime
) -> None:
    assert group_instant(day, zone, hour, "America/Chicago") == expected
    assert due_at(ScheduleMode.SUBSCRIBER_HOUR, None, day, zone, hour,
                  "America/Chicago") == expected


@pytest.mark.parametrize(("text", "message"), [
    ("2026-02-28T09:00", "passed"),
    ("next tuesday", "not an ISO-8601"),
    ("2026-13-01T09:00", "not an ISO-8601"),
])
def test_a_bad_or_past_time_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_when(text, "America/Chicago", NOW)


def test_a_date_begun_somewhere_already_is_refused() -> None:
    # 2 March begins in UTC+14 at 10:00 UTC on 1 March: too late at noon.
    with pytest.raises(ScheduleError, match="begun"):
        at_subscriber_hour(date(2026, 3, 2), NOW)
    assert parse_day("2026-03-03", NOW).day == date(2026, 3, 3)
    with pytest.raises(ScheduleError, match="ISO-8601 date"):
        parse_day("3/3/2026", NOW)


def test_a_naive_clinic_time_and_one_with_an_offset_agree() -> None:
    naive = at_clinic_time(datetime(2026, 7, 1, 9), "Europe/Berlin", NOW)
    aware = parse_when("2026-07-01T07:00:00+00:00", "Europe/Berlin", NOW)
    assert naive == aware
