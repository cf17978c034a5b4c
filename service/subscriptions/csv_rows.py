"""Reading subscriber CSV files as people have them: pure functions, no database.

Spreadsheets and other mailing tools write `Email`, `E-mail` or `Email Address`, separate
cells with commas, semicolons (European locales) or tabs, and often start with a UTF-8 BOM.
The header names the columns; only the email address is required.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from service.errors import InvalidInput
from service.models import SubscriberStatus
from service.subscriptions.validation import clean_first_name, normalise_email

DELIMITERS = ",;\t"
SNIFF_BYTES = 64 * 1024
# Header (lower-case, letters and digits only) -> the field it fills.
ALIASES: dict[str, str] = {
    # Not "address": a clinic's patient list may hold the postal address under that name.
    **dict.fromkeys(("email", "emailaddress", "mail", "emails"), "email"),
    **dict.fromkeys(("name", "firstname", "first", "givenname", "forename"), "first_name"),
    **dict.fromkeys(("timezone", "tz", "zone", "tzname"), "timezone"),
    **dict.fromkeys(("sendhour", "hour", "sendat"), "send_hour"),
    **dict.fromkeys(("weekdaysonly", "weekdays", "noweekends"), "weekdays_only"),
    **dict.fromkeys(("newsletter", "newsletterenabled", "newsletteroptin"), "newsletter"),
    **dict.fromkeys(("confirmedat", "confirmed", "optinat", "optedinat", "optintime",
                     "confirmtime"), "confirmed_at"),
    "status": "status",
    **dict.fromkeys(("courseenabled", "course"), "course_enabled"),
    "paused": "paused",
    **dict.fromkeys(("createdat", "subscribedat", "signedupat"), "created_at"),
}
# A file with both `Name` and `First Name` means the second; `Name` may be a full name.
GENERIC = frozenset({"name"})
YES = frozenset({"1", "true", "yes", "y", "on", "x"})
NO = frozenset({"", "0", "false", "no", "n", "off"})
LEFT = frozenset({SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.SUPPRESSED})
KNOWN_STATUSES = LEFT | {SubscriberStatus.ACTIVE, SubscriberStatus.PENDING}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HOUR = re.compile(r"([01]?[0-9]|2[0-3])(?::00)?")


@dataclass(frozen=True)
class Layout:
    """How one file is written: its delimiter and which column fills which field."""

    delimiter: str
    columns: dict[str, str]  # header as written -> field
    ignored: list[str]


def header_key(header: str) -> str:
    """`E-mail Address ` -> `emailaddress`: what aliases are matched on."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _map_header(headers: list[str]) -> tuple[dict[str, str], list[str]]:
    columns: dict[str, str] = {}
    ignored: list[str] = []
    taken: dict[str, str] = {}
    for header in headers:
        key = header_key(header)
        field = ALIASES.get(key)
        if field is None:
            if header.strip():
                ignored.append(header.strip())
            continue
        if field in taken:
            earlier = taken[field]
            if key in GENERIC:
                ignored.append(header.strip())
                continue
            if header_key(earlier) not in GENERIC:
                raise InvalidInput(f"the columns {earlier!r} and {header!r} both give {field}; "
                                   "keep one of them")
            del columns[earlier]
            ignored.append(earlier.strip())
        taken[field] = header
        columns[header] = field
    return columns, ignored


def _header_cells(first_line: str, delimiter: str) -> list[str]:
    return next(csv.reader([first_line], delimiter=delimiter), [])


def detect_layout(sample: str) -> Layout:
    """Find the delimiter and the columns from the first part of the file.

    csv.Sniffer guesses from the whole sample, and can be fooled by data (a name with a
    semicolon); the header decides: the first delimiter, sniffed one first, under which
    the first line has an email column wins.
    """
    first_line = sample.splitlines()[0] if sample.strip() else ""
    if not first_line.strip():
        raise InvalidInput("the file is empty: the first line should name the columns "
                           "(at least one called email)")
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = max(DELIMITERS, key=first_line.count)
    for delimiter in dict.fromkeys(sniffed + DELIMITERS):
        columns, ignored = _map_header(_header_cells(first_line, delimiter))
        if "email" in columns.values():
            return Layout(delimiter, columns, ignored)
    shown = first_line if len(first_line) <= 120 else first_line[:117] + "..."
    raise InvalidInput(
        "no email column in the first line (looked for email, e-mail, email address, mail, "
        f"separated by commas, semicolons or tabs); it reads: {shown!r}"
    )


def check_cells(handle: TextIO, layout: Layout) -> None:
    """Read every row once: one the csv module cannot read (a cell past its size limit)
    refuses the file, naming the line, before any row of it is imported."""
    reader = csv.reader(handle, delimiter=layout.delimiter)
    try:
        for _ in reader:
            pass
    except csv.Error as error:
        raise InvalidInput(f"line {reader.line_num} cannot be read as CSV: {error}") from error


def rows(handle: TextIO, layout: Layout) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number where the row starts, {field: text}) for every non-blank data row."""
    reader = csv.reader(handle, delimiter=layout.delimiter)
    headers = next(reader)
    width = len(headers)
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue  # blank lines and the empty rows spreadsheets leave at the end
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            yield start, {"": f"this row has {len(cells)} cells but the header names {width}; "
                              "quote a name or note that contains the delimiter"}
            continue
        yield start, {layout.columns[h]: cells[i] if i < len(cells) else ""
                      for i, h in enumerate(headers) if h in layout.columns}


def plain(cell: str) -> str:
    """Undo the export's formula guard: a quote before a formula character is dropped."""
    if len(cell) > 1 and cell[0] == "'" and cell[1].startswith(FORMULA_START):
        return cell[1:]
    return cell


def guard(cell: str) -> str:
    """A cell a spreadsheet would run as a formula, prefixed with a quote so it stays text."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _flag(row: Mapping[str, str], field: str, default: bool) -> bool:
    text = plain(row.get(field, "")).strip().lower()
    if text == "":
        return default
    if text in YES:
        return True
    if text in NO:
        return False
    raise InvalidInput(f"{field} must be yes or no (or true/false, 1/0), not {text!r}")


def _instant(row: Mapping[str, str], field: str, now: datetime) -> datetime | None:
    text = row.get(field, "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidInput(f"{field} is not an ISO-8601 time (like 2026-02-01T10:00:00Z): "
                           f"{text!r}") from error
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if value > now:
        raise InvalidInput(f"{field} {text!r} is in the future")
    return value


def parse_row(row: Mapping[str, str], zones: Set[str], default_zone: str,
              now: datetime) -> dict[str, Any]:
    """One row as subscriber columns; raises InvalidInput saying what is wrong."""
    if "" in row:
        raise InvalidInput(row[""])
    raw_email = plain(row.get("email", "")).strip()
    if not raw_email:
        raise InvalidInput("no email address")
    try:
        email = normalise_email(raw_email)
        name = clean_first_name(plain(row.get("first_name", "")), public=False)
    except InvalidInput as error:
        raise InvalidInput(f"{raw_email!r}: {error}") from error
    zone = row.get("timezone", "").strip() or default_zone
    if zone not in zones:
        raise InvalidInput(f"unknown time zone {zone!r} (use an IANA name like America/Chicago)")
    hour_text = row.get("send_hour", "").strip() or "9"
    hour = _HOUR.fullmatch(hour_text)
    if hour is None:
        raise InvalidInput(f"send_hour must be a whole hour from 0 to 23, not {hour_text!r}")
    status = row.get("status", "").strip().lower()
    if status and status not in KNOWN_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(sorted(KNOWN_STATUSES))}, "
                           f"not {status!r}")
    confirmed_at = _instant(row, "confirmed_at", now)
    return {
        "email": email, "first_name": name, "timezone": zone, "send_hour": int(hour[1]),
        "confirmed_at": None if status in LEFT else confirmed_at,
        "status": status if status in LEFT else (
            SubscriberStatus.ACTIVE if confirmed_at else SubscriberStatus.PENDING),
        "weekdays_only": _flag(row, "weekdays_only", False),
        "newsletter_enabled": _flag(row, "newsletter", False),
        "course_enabled": _flag(row, "course_enabled", True),
        "paused": _flag(row, "paused", False),
        "created_at": _instant(row, "created_at", now) or now,
    }
