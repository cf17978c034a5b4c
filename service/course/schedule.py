"""When each lesson is due: pure decisions, the current time passed in, never read.

Every instant in and out is an aware UTC datetime; local calendar arithmetic happens in the
subscriber's zone (zoneinfo), so a daylight-saving change neither skips nor doubles a lesson.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A lesson never follows the previous one by less than this: someone who confirms at
# 23:30 does not get lesson 2 at 09:00 the same night-and-morning, but the day after.
MIN_GAP = timedelta(hours=12)
SATURDAY = 5


def is_deliverable(status: str, paused: bool, course_enabled: bool) -> bool:
    """Whether course mail may go to a subscriber in this state at all."""
    return status == "active" and not paused and course_enabled


def held_until(paused_until: datetime | None, now: datetime) -> datetime | None:
    """The end of a pause-until still running at `now`, else None."""
    return paused_until if paused_until is not None and paused_until > now else None


def week_from(now: datetime, zone: str) -> datetime:
    """Where "pause for a week" ends: the start of the local day seven days after `now`."""
    day = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=7)
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _allowed(day: date, weekdays_only: bool) -> bool:
    return not weekdays_only or day.weekday() < SATURDAY


def slot(day: date, send_hour: int, zone: str) -> datetime:
    """The UTC instant of `send_hour` on local `day`.

    In a spring-forward gap (02:30 does not exist) zoneinfo's fold=0 reads the wall time
    with the offset from before the change, which lands one hour later (03:30): sent late
    rather than skipped. In a fall-back overlap fold=0 picks the first of the two, once.
    """
    local = datetime.combine(day, time(send_hour), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


def next_slot(after: datetime, send_hour: int, zone: str, weekdays_only: bool) -> datetime:
    """The first send hour strictly after `after`, on an allowed day."""
    day = after.astimezone(ZoneInfo(zone)).date()
    while True:
        if _allowed(day, weekdays_only):
            candidate = slot(day, send_hour, zone)
            if candidate > after:
                return candidate
        day += timedelta(days=1)


def next_lesson_due(
    previous: datetime,
    now: datetime,
    delay_days: int,
    send_hour: int,
    zone: str,
    weekdays_only: bool,
) -> datetime:
    """When the lesson after one sent (or queued) at `previous` is due.

    `delay_days` local calendar days after the previous lesson's day, at the send hour,
    moved to Monday if weekends are off, at least MIN_GAP after the previous lesson,
    and never in the past (a worker that was down does not cause a burst of catch-up mail).
    """
    day = previous.astimezone(ZoneInfo(zone)).date() + timedelta(days=max(delay_days, 0))
    while not _allowed(day, weekdays_only):
        day += timedelta(days=1)
    candidate = slot(day, send_hour, zone)
    if candidate - previous < MIN_GAP:
        candidate = next_slot(previous + MIN_GAP, send_hour, zone, weekdays_only)
    if candidate <= now:
        candidate = next_slot(now, send_hour, zone, weekdays_only)
    return candidate

