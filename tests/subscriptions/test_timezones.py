"""The time-zone picker's choices, and times written the clinic's way."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import available_timezones

import pytest

from service.subscriptions.timezones import (
    clock_time,
    hour_labels,
    read_zone1970,
    when,
    zone_choices,
    zone_label,
)


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("America/New_York", "Eastern Time (New York)"),
        ("America/Chicago", "Central Time (Chicago)"),
        ("America/Phoenix", "Mountain Time (Phoenix)"),
        ("Pacific/Honolulu", "Hawaii Time (Honolulu)"),  # CLDR's location fallback avoided
        ("Europe/Paris", "Central European Time (Paris)"),
        ("Asia/Kolkata", "India Time (Kolkata)"),
        ("Asia/Jakarta", "Western Indonesia Time (Jakarta)"),
    ],
)
def test_zone_label(zone: str, label: str) -> None:
    assert zone_label(zone, "en_US") == label


def test_the_clinic_zone_comes_first_then_its_country_then_regions() -> None:
    choices = zone_choices("America/Chicago", "en_US")
    title, common = choices.groups[0]
    assert title == "Common time zones"
    assert [zone for zone, _ in common] == [
        "America/Chicago", "America/New_York", "America/Denver", "America/Phoenix",
        "America/Los_Angeles", "America/Anchorage", "America/Adak", "Pacific/Honolulu",
    ]
    regions = [title for title, _ in choices.groups[1:]]
    assert regions == sorted(regions) and "Europe" in regions and "Americas" in regions
    europe = dict(choices.groups)["Europe"]
    assert [label for _, label in europe] == sorted(label for _, label in europe)
    assert choices.label("Europe/London") == "British Time (London)"


def test_only_zones_people_live_in_are_offered() -> None:
    valid = zone_choices("America/New_York", "en_US").valid
    assert valid <= available_timezones()
    assert 250 < len(valid) < 400
    for technical in ("Factory", "localtime", "Etc/GMT+5", "W-SU", "US/Eastern", "EST5EDT"):
        assert technical not in valid


def test_the_choices_are_computed_once() -> None:
    assert zone_choices("America/Chicago", "en_US") is zone_choices("America/Chicago", "en_US")


def test_read_zone1970_skips_comments() -> None:
    rows = read_zone1970("# comment\nUS\t+404251-0740023\tAmerica/New_York\tEastern (most areas)\n"
                         "CH,DE,LI\t+4723+00832\tEurope/Zurich\n")
    assert [(r.zone, r.countries) for r in rows] == [
        ("America/New_York", ("US",)), ("Europe/Zurich", ("CH", "DE", "LI"))]


@pytest.mark.parametrize(
    ("locale", "value", "text"),
    [("en_US", time(9), "9 AM"), ("en_US", time(21), "9 PM"), ("en_US", time(0), "12 AM"),
     ("en_US", time(9, 30), "9:30 AM"), ("en_GB", time(9), "09:00"), ("de_DE", time(21), "21:00")],
)
def test_clock_time_follows_the_locale(locale: str, value: time, text: str) -> None:
    assert clock_time(value, locale).replace("\u202f", " ") == text


def test_hour_labels_cover_the_day() -> None:
    labels = hour_labels("en_US")
    assert [hour for hour, _ in labels] == list(range(24))


NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday 09:00 in Chicago


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        (datetime(2026, 12, 1, 20, 0, tzinfo=UTC), "today at 2 PM"),
        (datetime(2026, 12, 2, 15, 0, tzinfo=UTC), "tomorrow at 9 AM"),
        (datetime(2026, 12, 3, 15, 0, tzinfo=UTC), "Thursday at 9 AM"),
        (datetime(2026, 12, 9, 15, 0, tzinfo=UTC), "Wednesday 9 December at 9 AM"),
        (datetime(2026, 12, 2, 5, 0, tzinfo=UTC), "today at 11 PM"),  # still Tuesday locally
    ],
)
def test_when_speaks_in_the_subscribers_zone(instant: datetime, text: str) -> None:
    assert when(instant, "America/Chicago", "en_US", NOW).replace("\u202f", " ") == text
