"""The time-zone picker's choices and readable times: pure, built once per clinic and locale.

The zones are those people live in (tzdata's zone1970.tab, one canonical zone per region of
identical clocks since 1970), named as CLDR names them through Babel: "Eastern Time (New York)".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, get_timezone_location, get_timezone_name

# The first part of a zone's name, as a heading a person would recognise.
REGIONS = {
    "Africa": "Africa", "America": "Americas", "Antarctica": "Antarctica", "Arctic": "Arctic",
    "Asia": "Asia", "Atlantic": "Atlantic Ocean", "Australia": "Australia",
    "Europe": "Europe", "Indian": "Indian Ocean", "Pacific": "Pacific Ocean",
}
# Two instants a year apart in season, to tell zones apart that share a name but not clocks
# (Phoenix keeps Mountain Standard Time all summer; Denver does not).
_SEASONS = (datetime(2025, 1, 15, tzinfo=UTC), datetime(2025, 7, 15, tzinfo=UTC))


@dataclass(frozen=True)
class ZoneRow:
    zone: str
    countries: tuple[str, ...]


@dataclass(frozen=True)
class ZoneChoices:
    """Option groups for the picker, in order; `valid` is every zone they offer."""

    groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    valid: frozenset[str]

    def label(self, zone: str) -> str:
        """The readable name of a zone we offer, else its raw name."""
        for _, options in self.groups:
            for value, text in options:
                if value == zone:
                    return text
        return zone


def read_zone1970(text: str) -> list[ZoneRow]:
    """The rows of zone1970.tab (comments skipped), in the file's order."""
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        countries, _, zone, *_ = line.split("\t")
        rows.append(ZoneRow(zone, tuple(countries.split(","))))
    return rows


def _bundled_zone1970() -> str:
    return resources.files("tzdata").joinpath("zoneinfo", "zone1970.tab").read_text("utf-8")


def zone_label(zone: str, locale: str) -> str:
    """'Eastern Time (New York)': CLDR's generic name, then the city."""
    city = get_timezone_location(zone, locale=locale, return_city=True)
    name = get_timezone_name(zone, width="long", zone_variant="generic", locale=locale)
    if "(" in name:  # CLDR fell back to "Country (City) Time": its standard name reads better
        standard = get_timezone_name(zone, width="long", zone_variant="standard", locale=locale)
        if "(" in standard or standard.startswith("GMT"):
            return name
        name = standard.replace(" Standard Time", " Time")
    return f"{name} ({city})"


def _clocks(zone: str) -> tuple[timedelta | None, ...]:
    return tuple(moment.astimezone(ZoneInfo(zone)).utcoffset() for moment in _SEASONS)


def _common(rows: list[ZoneRow], clinic_zone: str, locale: str) -> list[str]:
    """The clinic's zone, then one zone per distinct clock in the clinic's country."""
    country = next((r.countries[0] for r in rows if r.zone == clinic_zone), None)
    chosen, seen = [clinic_zone], {(zone_label(clinic_zone, locale).split(" (")[0],
                                    _clocks(clinic_zone))}
    for row in rows:  # the file lists each country's most populous zones first
        if country not in row.countries or row.zone in chosen:
            continue
        key = (zone_label(row.zone, locale).split(" (")[0], _clocks(row.zone))
        if key not in seen:
            seen.add(key)
            chosen.append(row.zone)
    return chosen


def build_choices(rows: list[ZoneRow], clinic_zone: str, locale: str) -> ZoneChoices:
    """The clinic's zone first, its country's other clocks next, then the rest by region."""
    common = _common(rows, clinic_zone, locale)
    groups: list[tuple[str, tuple[tuple[str, str], ...]]] = [
        ("Common time zones", tuple((z, zone_label(z, locale)) for z in common))
    ]
    by_region: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        region = REGIONS.get(row.zone.split("/")[0])
        if region is None or row.zone in common:
            continue
        by_region.setdefault(region, []).append((row.zone, zone_label(row.zone, locale)))
    for region in sorted(by_region):
        groups.append((region, tuple(sorted(by_region[region], key=lambda o: o[1]))))
    valid = frozenset(value for _, options in groups for value, _ in options)
    return ZoneChoices(tuple(groups), valid)


@cache
def zone_choices(clinic_zone: str, locale: str) -> ZoneChoices:
    """The picker's choices from the bundled tzdata, computed once per clinic zone and locale."""
    return build_choices(read_zone1970(_bundled_zone1970()), clinic_zone, locale)


def uses_12_hour_clock(locale: str) -> bool:
    """Whether the locale writes times as 9 AM (en_US) rather than 09:00 (en_GB)."""
    return "h" in Locale.parse(locale).time_formats["short"].pattern


def clock_time(value: time, locale: str) -> str:
    """A time of day as the locale writes it: '9 AM', '9:30 AM', or '09:00'."""
    if uses_12_hour_clock(locale):
        return format_skeleton("h" if value.minute == 0 else "hm", value, locale=locale)
    return format_skeleton("Hm", value, locale=locale)


@cache
def hour_labels(locale: str) -> tuple[tuple[int, str], ...]:
    """The 24 send hours as (hour, label) pairs in the locale's convention."""
    return tuple((hour, clock_time(time(hour), locale)) for hour in range(24))


def when(instant: datetime, zone: str, locale: str, now: datetime) -> str:
    """'today at 9 AM', 'tomorrow at 9 AM', 'Wednesday at 9 AM', 'Wednesday 9 December at 9 AM'."""
    local = instant.astimezone(ZoneInfo(zone))
    today = now.astimezone(ZoneInfo(zone)).date()
    days = (local.date() - today).days
    at = clock_time(local.time(), locale)
    if days <= 0:
        return f"today at {at}"
    if days == 1:
        return f"tomorrow at {at}"
    pattern = "EEEE" if days < 7 else "EEEE d MMMM"
    return f"{format_date(local.date(), pattern, locale=locale)} at {at}"


def day(instant: datetime, zone: str, locale: str) -> str:
    """The local date of an instant, written out: 'Tuesday 8 December'."""
    return format_date(instant.astimezone(ZoneInfo(zone)).date(), "EEEE d MMMM", locale=locale)
