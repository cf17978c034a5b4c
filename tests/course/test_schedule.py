"""When lessons are due: DST, weekends, longer gaps and late-night signups, as tables."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from service.course.schedule import (
    held_until,
    is_deliverable,
    next_lesson_due,
    next_slot,
    slot,
    week_from,
)

NY = "America/New_York"
BERLIN = "Europe/Berlin"
TOKYO = "Asia/Tokyo"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "hour", "zone", "expected"),
    [
        ("2026-03-02", 9, NY, "2026-03-02 14:00"),  # EST, UTC-5
        ("2026-03-09", 9, NY, "2026-03-09 13:00"),  # EDT, UTC-4 after spring-forward
        # 02:00 does not exist on 2026-03-08 in New York: sent at 03:00 EDT, not skipped
        ("2026-03-08", 2, NY, "2026-03-08 07:00"),
        # 01:00 exists twice on 2026-11-01 in New York: the first one, once
        ("2026-11-01", 1, NY, "2026-11-01 05:00"),
        ("2026-03-29", 2, BERLIN, "2026-03-29 01:00"),  # Berlin's gap: 03:00 CEST
        ("2026-06-01", 0, TOKYO, "2026-05-31 15:00"),  # midnight east of UTC is the day before
    ],
)
def test_slot_is_the_local_send_hour(day: str, hour: int, zone: str, expected: str) -> None:
    assert slot(datetime.fromisoformat(day).date(), hour, zone) == utc(expected)


@pytest.mark.parametrize(
    ("previous", "delay", "hour", "zone", "weekdays_only", "expected"),
    [
        # plain daily course, 09:00 New York
        ("2026-03-02 14:00", 1, 9, NY, False, "2026-03-03 14:00"),
        # across spring-forward: still 09:00 local, now at UTC-4; no lesson skipped
        ("2026-03-07 14:00", 1, 9, NY, False, "2026-03-08 13:00"),
        # across fall-back: still 09:00 local, now at UTC-5; no lesson doubled
        ("2026-10-31 13:00", 1, 9, NY, False, "2026-11-01 14:00"),
        # send hour inside the gap (02:00 on 2026-03-08): goes at 03:00 EDT that day
        ("2026-03-07 07:00", 1, 2, NY, False, "2026-03-08 07:00"),
        # send hour inside the overlap (01:00 on 2026-11-01): the first 01:00 only
        ("2026-10-31 05:00", 1, 1, NY, False, "2026-11-01 05:00"),
        # the day after the overlap: 01:00 EST
        ("2026-11-01 05:00", 1, 1, NY, False, "2026-11-02 06:00"),
        # a lesson with a three-day gap
        ("2026-03-02 14:00", 3, 9, NY, False, "2026-03-05 14:00"),
        # weekdays only: Friday's lesson is followed on Monday
        ("2026-03-06 14:00", 1, 9, NY, True, "2026-03-09 13:00"),
        # weekdays only, a two-day gap from Thursday lands on Saturday, so Monday
        ("2026-03-05 14:00", 2, 9, NY, True, "2026-03-09 13:00"),
        # every day: Friday's lesson is followed on Saturday
        ("2026-03-06 14:00", 1, 9, NY, False, "2026-03-07 14:00"),
        # late-night signup (23:30 local): lesson 2 not 9.5 hours later but the day after
        ("2026-03-03 04:30", 1, 9, NY, False, "2026-03-04 14:00"),
        # just-after-midnight signup (00:30 local): lesson 2 the next day at 09:00
        ("2026-03-03 05:30", 1, 9, NY, False, "2026-03-04 14:00"),
        # evening send hour in Tokyo, signup in the local morning
        ("2026-03-02 00:00", 1, 20, TOKYO, False, "2026-03-03 11:00"),
    ],
)
def test_next_lesson_due(
    previous: str, delay: int, hour: int, zone: str, weekdays_only: bool, expected: str
) -> None:
    when = utc(previous)
    assert next_lesson_due(when, when, delay, hour, zone, weekdays_only) == utc(expected)


def test_a_daily_course_over_both_dst_changes_sends_exactly_one_lesson_each_local_day() -> None:
    sent = [utc("2026-03-01 14:00")]
    for _ in range(300):
        sent.append(next_lesson_due(sent[-1], sent[-1], 1, 9, NY, False))
    local_days = [s.astimezone(ZoneInfo(NY)).date() for s in sent]
    assert len(set(local_days)) == len(local_days)
    assert all((b - a).days == 1 for a, b in zip(local_days, local_days[1:], strict=False))
    assert all(s.astimezone(ZoneInfo(NY)).hour == 9 for s in sent)


@pytest.mark.parametrize(
    ("previous", "now", "expected"),
    [
        # the worker was down for three days: the next lesson goes at the next send hour,
        # not as a burst of past-due mail
        ("2026-03-02 14:00", "2026-03-05 20:00", "2026-03-06 14:00"),
        # send hour moved later on the same day: today still counts
        ("2026-03-02 14:00", "2026-03-03 12:00", "2026-03-03 14:00"),
    ],
)
def test_next_lesson_due_is_never_in_the_past(previous: str, now: str, expected: str) -> None:
    assert next_lesson_due(utc(previous), utc(now), 1, 9, NY, False) == utc(expected)


@pytest.mark.parametrize(
    ("now", "weekdays_only", "expected"),
    [
        ("2026-03-02 13:00", False, "2026-03-02 14:00"),  # resume before today's hour: today
        ("2026-03-02 15:00", False, "2026-03-03 14:00"),  # after it: tomorrow
        ("2026-03-06 15:00", True, "2026-03-09 13:00"),  # Friday evening, weekdays: Monday
        ("2026-03-07 10:00", False, "2026-03-07 14:00"),  # Saturday, every day: today
    ],
)
def test_next_slot_is_the_next_send_hour(now: str, weekdays_only: bool, expected: str) -> None:
    assert next_slot(utc(now), 9, NY, weekdays_only) == utc(expected)


def test_next_slot_is_strictly_after() -> None:
    assert next_slot(utc("2026-03-02 14:00"), 9, NY, False) == utc("2026-03-03 14:00")


@pytest.mark.parametrize(
    ("status", "paused", "course_enabled", "expected"),
    [
        ("active", False, True, True),
        ("active", True, True, False),
        ("active", False, False, False),
        ("pending", False, True, False),
        ("unsubscribed", False, True, False),
        ("suppressed", False, True, False),
    ],
)
def test_is_deliverable(status: str, paused: bool, course_enabled: bool, expected: bool) -> None:
    assert is_deliverable(status, paused, course_enabled) is expected


@pytest.mark.parametrize(
    ("until", "now", "expected"),
    [
        (None, datetime(2026, 12, 1, tzinfo=UTC), None),
        (datetime(2026, 12, 8, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC),
         datetime(2026, 12, 8, tzinfo=UTC)),
        (datetime(2026, 12, 8, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC), None),  # over
    ],
)
def test_held_until(until: datetime | None, now: datetime, expected: datetime | None) -> None:
    assert held_until(until, now) == expected


@pytest.mark.parametrize(
    ("now", "zone", "local_start"),
    [
        # Tuesday 10:00 in Chicago: held until the start of next Tuesday there.
        (datetime(2026, 12, 1, 16, 0, tzinfo=UTC), "America/Chicago", datetime(2026, 12, 8)),
        # 23:30 Monday in Chicago is already Tuesday in UTC: the local day counts.
        (datetime(2026, 12, 1, 5, 30, tzinfo=UTC), "America/Chicago", datetime(2026, 12, 7)),
        # Across the spring change the week is still seven local days.
        (datetime(2026, 3, 3, 16, 0, tzinfo=UTC), "America/Chicago", datetime(2026, 3, 10)),
    ],
)
def test_week_from_ends_at_a_local_midnight(
    now: datetime, zone: str, local_start: datetime
) -> None:
    end = week_from(now, zone)
    assert end.tzinfo is not None
    assert end.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == local_start
