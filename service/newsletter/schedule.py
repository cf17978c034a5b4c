"""When an issue goes: now, at one instant in the clinic's zone, or at each subscriber's hour.

Pure: no database, no clock. Every instant returned is aware and in UTC. Local times that
a DST change skips are moved forward by the gap (02:30 on a spring-forward night is 03:30);
local times that happen twice take the first (fold=0), so nobody gets an issue twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.models import ScheduleMode


class ScheduleError(ValueError):
    """A schedule that cannot be kept; the message says why, in words staff understand."""


@dataclass(frozen=True)
class Schedule:
    """What staff chose: `at` (UTC) for NOW and CLINIC_TIME, `day` for SUBSCRIBER_HOUR."""

    mode: ScheduleMode
    at: datetime | None = None
    day: date | None = None


def zone(name: str, fallback: str = "UTC") -> ZoneInfo:
    """The zone of that name; an unknown one (a typo in an import) falls back."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def local_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time in `tz` as a UTC instant; skipped times move forward, doubled take
    the first."""
    # fold=0 reads a wall time with the offset in force before a change: in a
    # spring-forward gap that lands after the gap (02:30 -> 03:30), and of a time that
    # happens twice it is the first.
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def hour_on(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """`hour`:00 on `day` in `tz`, as a UTC instant."""
    return local_to_utc(datetime.combine(day, time(hour)), tz)


def send_now(now: datetime) -> Schedule:
    return Schedule(ScheduleMode.NOW, at=now)


def at_clinic_time(wall: datetime, clinic_zone: str, now: datetime) -> Schedule:
    """A date and time in the clinic's zone (a naive datetime, or an aware one converted)."""
    instant = wall.astimezone(UTC) if wall.tzinfo else local_to_utc(wall, zone(clinic_zone))
    if instant <= now:
        raise ScheduleError("That time has passed. Choose a later one, or send now.")
    return Schedule(ScheduleMode.CLINIC_TIME, at=instant)


def at_subscriber_hour(day: date, now: datetime) -> Schedule:
    """On `day`, at each subscriber's own send hour, in their own zone."""
    # The first place on Earth where `day` begins is UTC+14: earlier than that, some
    # subscribers' hour would already have passed when the schedule was made.
    if datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=14) <= now:
        raise ScheduleError("That date has begun somewhere already. Choose a later date.")
    return Schedule(ScheduleMode.SUBSCRIBER_HOUR, day=day)


def parse_when(text: str, clinic_zone: str, now: datetime) -> Schedule:
    """The CLI's --at: an ISO-8601 time (clinic zone unless it carries an offset)."""
    try:
        wall = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise ScheduleError(f"{text!r} is not an ISO-8601 date and time, e.g. "
                            "2026-12-03T09:00 or 2026-12-03T09:00-06:00") from error
    return at_clinic_time(wall, clinic_zone, now)


def parse_day(text: str, now: datetime) -> Schedule:
    """The CLI's --their-hour DATE: an ISO-8601 date."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as error:
        raise ScheduleError(f"{text!r} is not an ISO-8601 date, e.g. 2026-12-03") from error
    return at_subscriber_hour(day, now)


def group_instant(schedule_day: date, zone_name: str, hour: int, clinic_zone: str) -> datetime:
    """When the subscribers of one (zone, send hour) group get an issue sent on their hour."""
    return hour_on(schedule_day, hour, zone(zone_name, clinic_zone))


def due_at(mode: str, at: datetime | None, day: date | None, zone_name: str, hour: int,
           clinic_zone: str) -> datetime:
    """When one subscriber (in `zone_name`, at `hour`) is due an issue so scheduled."""
    if mode == ScheduleMode.SUBSCRIBER_HOUR:
        if day is None:
            raise ScheduleError("an issue sent at subscribers' hours needs a date")
        return group_instant(day, zone_name, hour, clinic_zone)
    if at is None:
        raise ScheduleError("a scheduled issue needs a time")
    return at
