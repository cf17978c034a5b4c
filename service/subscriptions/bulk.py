"""Subscribers in and out as CSV, in batches of bulk inserts.

A row with confirmed_at arrives active, with a Consent record saying it was imported and
from where, and is enrolled (lesson 1 due at once). A row without it arrives pending and
no mail is sent by the import. Rows with errors are reported by line; the rest still land.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import available_timezones

from flask import Flask
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from service.errors import InvalidInput
from service.extensions import db
from service.models import Consent, Enrolment, Subscriber, SubscriberStatus
from service.models.subscriber import new_public_id
from service.subscriptions.validation import clean_first_name, normalise_email

BATCH = 2000
REQUIRED = ("email", "name", "timezone", "send_hour", "confirmed_at")
EXPORT_COLUMNS = (
    "email", "name", "timezone", "send_hour", "confirmed_at", "status", "weekdays_only",
    "course_enabled", "newsletter_enabled", "paused", "created_at",
)
TRUE = {"1", "true", "yes", "y", "on"}
IMPORT_CONSENT_TEXT = (
    "Imported from a CSV file by clinic staff. The person confirmed their address before "
    "the import (confirmed_at); the wording they agreed to is not in this record."
)

Progress = Callable[[int], None]


@dataclass
class ImportReport:
    imported: int = 0
    confirmed: int = 0
    pending: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    emails: set[str] = field(default_factory=set, repr=False)  # to catch later duplicates


def parse_row(row: dict[str, str], zones: set[str]) -> dict[str, Any]:
    """One CSV row as subscriber columns; raises InvalidInput saying what is wrong."""
    email = normalise_email(row.get("email") or "")
    name = clean_first_name(row.get("name"))
    zone = (row.get("timezone") or "").strip()
    if zone not in zones:
        raise InvalidInput(f"unknown time zone {zone!r}")
    hour_text = (row.get("send_hour") or "").strip() or "9"
    if not hour_text.isdigit() or not 0 <= int(hour_text) <= 23:
        raise InvalidInput(f"send_hour must be a whole hour from 0 to 23, not {hour_text!r}")
    confirmed_text = (row.get("confirmed_at") or "").strip()
    confirmed_at = None
    if confirmed_text:
        try:
            confirmed_at = datetime.fromisoformat(confirmed_text.replace("Z", "+00:00"))
        except ValueError as error:
            message = f"confirmed_at is not an ISO-8601 time: {confirmed_text!r}"
            raise InvalidInput(message) from error
        if confirmed_at.tzinfo is None:
            confirmed_at = confirmed_at.replace(tzinfo=UTC)
    return {
        "email": email, "first_name": name, "timezone": zone, "send_hour": int(hour_text),
        "confirmed_at": confirmed_at,
        "weekdays_only": (row.get("weekdays_only") or "").strip().lower() in TRUE,
        "newsletter_enabled": (row.get("newsletter") or "").strip().lower() in TRUE,
    }


def _batches(path: str) -> Iterator[list[tuple[int, dict[str, str]]]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(f"the CSV lacks the column(s): {', '.join(missing)}")
        batch: list[tuple[int, dict[str, str]]] = []
        for row in reader:
            batch.append((reader.line_num, row))
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def _store(session: Session, rows: list[tuple[int, dict[str, Any]]], source: str,
           now: datetime) -> None:
    """Insert one batch: subscribers, then consents and enrolments for the confirmed."""
    values = [
        {**data, "public_id": new_public_id(), "created_at": now, "paused": False,
         "course_enabled": True,
         "status": SubscriberStatus.ACTIVE if data["confirmed_at"] else SubscriberStatus.PENDING}
        for _, data in rows
    ]
    ids = session.scalars(
        insert(Subscriber.__table__).returning(Subscriber.__table__.c.id,
                                               sort_by_parameter_order=True),
        values,
    ).all()
    consents, enrolments = [], []
    for subscriber_id, (line, data) in zip(ids, rows, strict=True):
        if not data["confirmed_at"]:
            continue
        consents.append({
            "subscriber_id": subscriber_id, "form": "csv-import", "text_version": "csv-import",
            "text": IMPORT_CONSENT_TEXT, "method": "imported",
            "submitted": {"file": source, "line": line, "imported_at": now.isoformat()},
            "given_at": data["confirmed_at"], "confirmed_at": data["confirmed_at"],
        })
        enrolments.append({
            "subscriber_id": subscriber_id, "last_position_sent": 0, "round": 1,
            "next_due_at": now, "started_at": now,
        })
    if consents:
        session.execute(insert(Consent.__table__), consents)
        session.execute(insert(Enrolment.__table__), enrolments)


def import_csv(app: Flask, path: str, now: datetime,
               progress: Progress | None = None) -> ImportReport:
    """Import a CSV of subscribers; every batch is committed on its own."""
    report = ImportReport()
    zones = available_timezones()
    source = os.path.basename(path)
    with app.app_context():
        session = db.session
        for batch in _batches(path):
            good: list[tuple[int, dict[str, Any]]] = []
            seen_here: set[str] = set()
            for line, row in batch:
                try:
                    data = parse_row(row, zones)
                except InvalidInput as error:
                    report.errors.append((line, str(error)))
                    continue
                if data["email"] in seen_here:
                    report.errors.append((line, f"duplicate address {data['email']}"))
                    continue
                seen_here.add(data["email"])
                good.append((line, data))
            existing = set(session.scalars(select(Subscriber.email).where(
                Subscriber.email.in_([d["email"] for _, d in good]))))
            fresh = []
            for line, data in good:
                if data["email"] in existing or data["email"] in report.emails:
                    report.errors.append((line, f"duplicate address {data['email']}"))
                else:
                    fresh.append((line, data))
            if fresh:
                _store(session, fresh, source, now)
            session.commit()
            for _, data in fresh:
                report.confirmed += 1 if data["confirmed_at"] else 0
                report.emails.add(data["email"])
            report.imported += len(fresh)
            report.pending = report.imported - report.confirmed
            if progress:
                progress(len(batch))
    return report


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def export_csv(app: Flask, path: str, progress: Progress | None = None) -> int:
    """Write every subscriber to `path`, streaming (memory stays flat); returns the count."""
    table = Subscriber.__table__
    columns = [table.c[name] if name != "name" else table.c.first_name for name in EXPORT_COLUMNS]
    count = 0
    with app.app_context(), open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        result = db.session.execute(
            select(*columns).order_by(table.c.id).execution_options(yield_per=BATCH)
        )
        for partition in result.partitions():
            writer.writerows([_cell(v) for v in row] for row in partition)
            count += len(partition)
            if progress:
                progress(len(partition))
        db.session.commit()
    return count
