"""Reading CSV files as spreadsheets and other tools write them: pure, no app."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import available_timezones

import pytest

from service.errors import InvalidInput
from service.subscriptions.csv_rows import detect_layout, guard, parse_row, plain, rows

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)
ZONES = available_timezones()


def _read(text: str) -> list[tuple[int, dict[str, str]]]:
    return list(rows(io.StringIO(text), detect_layout(text)))


@pytest.mark.parametrize(("header", "field"), [
    ("email", "email"), ("Email", "email"), ("E-mail", "email"), ("EMAIL ADDRESS", "email"),
    ("Email Address", "email"), ("e_mail", "email"),
    ("name", "first_name"), ("First Name", "first_name"), ("first_name", "first_name"),
    ("Time zone", "timezone"), ("TimeZone", "timezone"), ("Send Hour", "send_hour"),
    ("Weekdays only", "weekdays_only"), ("Newsletter", "newsletter"),
    ("newsletter_enabled", "newsletter"), ("Confirmed At", "confirmed_at"),
])
def test_headers_match_in_any_case_and_by_common_aliases(header: str, field: str) -> None:
    layout = detect_layout(f"mail,{header}\n" if field != "email" else f"{header}\n")
    assert field in layout.columns.values()


def test_a_specific_first_name_column_wins_over_a_generic_name() -> None:
    [(_, row)] = _read("Email,Name,First Name\nann@example.com,Ann Smith,Ann\n")
    assert row["first_name"] == "Ann"


def test_two_email_columns_are_refused_by_name() -> None:
    with pytest.raises(InvalidInput, match="'Email' and 'E-mail' both give email"):
        detect_layout("Email,E-mail\na@example.com,b@example.com\n")


@pytest.mark.parametrize(("text", "delimiter"), [
    ("email,name\nann@example.com,Ann\n", ","),
    ("email;name\nann@example.com;Ann\n", ";"),
    ("email\tname\nann@example.com\tAnn\n", "\t"),
    # A comma inside a name must not make a semicolon file look comma-separated.
    ("Email;Name\nann@example.com;Ann, the elder\nben@example.com;Ben, Jr\n", ";"),
    ("email\nann@example.com\n", ","),  # one column: nothing to sniff, the fallback holds
])
def test_the_delimiter_is_detected(text: str, delimiter: str) -> None:
    assert detect_layout(text).delimiter == delimiter
    assert _read(text)[0][1]["email"] == "ann@example.com"


def test_a_file_without_an_email_column_says_what_was_looked_for() -> None:
    with pytest.raises(InvalidInput, match="no email column.*e-mail.*'Name,Phone'"):
        detect_layout("Name,Phone\nAnn,555\n")


def test_unknown_columns_are_listed_as_ignored() -> None:
    assert detect_layout("Email,Phone,Notes\n").ignored == ["Phone", "Notes"]


def test_rows_carry_the_line_they_start_on_and_skip_blank_rows() -> None:
    found = _read('email,name\n\nann@example.com,"Ann\nMarie"\n,\nben@example.com,Ben\n')
    assert [(line, row["email"]) for line, row in found] == [(3, "ann@example.com"),
                                                              (6, "ben@example.com")]


def test_a_row_with_more_cells_than_the_header_is_an_error_not_a_shifted_row() -> None:
    [(line, row)] = _read("email,name\nann@example.com,Smith,Ann\n")
    with pytest.raises(InvalidInput, match="3 cells but the header names 2"):
        parse_row(row, ZONES, "America/Chicago", NOW)


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1", "-2",
                                  "@SUM(A1)", "\tTab", "\rCR"])
def test_formula_cells_get_a_quote_and_come_back_unchanged(cell: str) -> None:
    assert guard(cell) == "'" + cell
    assert plain(guard(cell)) == cell


@pytest.mark.parametrize("cell", ["Ann", "O'Brien", "'quoted'", "", "2026-02-01T10:00:00+00:00"])
def test_ordinary_cells_are_left_alone(cell: str) -> None:
    assert guard(cell) == cell
    assert plain(cell) == cell


def test_only_email_is_required_and_the_rest_has_defaults() -> None:
    data = parse_row({"email": " Ann@Example.COM "}, ZONES, "America/Chicago", NOW)
    assert data["email"] == "ann@example.com"
    assert (data["first_name"], data["timezone"], data["send_hour"]) == ("", "America/Chicago", 9)
    assert (data["status"], data["confirmed_at"]) == ("pending", None)
    assert (data["weekdays_only"], data["newsletter_enabled"]) == (False, False)
    assert (data["course_enabled"], data["paused"]) == (True, False)


def test_a_full_row_is_read() -> None:
    data = parse_row({"email": "ann@example.com", "first_name": "Ann", "timezone": "Europe/Berlin",
                      "send_hour": "07:00", "weekdays_only": "Yes", "newsletter": "TRUE",
                      "confirmed_at": "2026-02-01 10:00"}, ZONES, "America/Chicago", NOW)
    assert (data["timezone"], data["send_hour"]) == ("Europe/Berlin", 7)
    assert (data["weekdays_only"], data["newsletter_enabled"]) == (True, True)
    confirmed = datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert (data["status"], data["confirmed_at"]) == ("active", confirmed)


def test_a_row_exported_as_unsubscribed_stays_unsubscribed() -> None:
    data = parse_row({"email": "ann@example.com", "status": "unsubscribed",
                      "confirmed_at": "2026-02-01T10:00:00Z"}, ZONES, "UTC", NOW)
    assert (data["status"], data["confirmed_at"]) == ("unsubscribed", None)


@pytest.mark.parametrize(("row", "message"), [
    ({"email": ""}, "no email address"),
    ({"email": "not-an-email"}, "'not-an-email': That does not look like an email address"),
    ({"email": "a@example.com", "first_name": "<b>Ann</b>"}, "cannot contain"),
    ({"email": "a@example.com", "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    ({"email": "a@example.com", "send_hour": "24"}, "whole hour from 0 to 23, not '24'"),
    ({"email": "a@example.com", "send_hour": "9am"}, "not '9am'"),
    ({"email": "a@example.com", "weekdays_only": "maybe"}, "weekdays_only must be yes or no"),
    ({"email": "a@example.com", "confirmed_at": "yesterday"}, "not an ISO-8601 time"),
    ({"email": "a@example.com", "confirmed_at": "2027-01-01"}, "is in the future"),
    ({"email": "a@example.com", "status": "vip"}, "status must be one of"),
])
def test_bad_cells_are_refused_with_a_message_that_names_them(row: dict[str, str],
                                                               message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_row(row, ZONES, "America/Chicago", NOW)
