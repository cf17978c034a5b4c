"""Subscribers in and out as CSV, in batches of bulk inserts.

A row with confirmed_at arrives active, with a Consent record saying it was imported and
from where, and is enrolled: lesson 1 goes at their next send hour, not at 2 a.m. A row
without it arrives pending and gets no mail, unless the import is asked to queue each one
a confirmation link. Rows with errors are reported by line; the rest still land. An
address already on the list is left as it is, so importing a file twice changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any
from zoneinfo import available_timezones

from flask import Flask
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from service import config
from service.course.schedule import next_slot
from service.delivery.queueing import queue_transactional
from service.errors import InvalidInput
from service.extensions import db
from service.models import (
    Consent,
    Delivery,
    Enrolment,
    MessageKind,
    Subscriber,
    SubscriberStatus,
)
from service.models.subscriber import new_public_id
from service.subscriptions import csv_rows
from service.subscriptions.suppression import suppressed_among

BATCH = 2000
EXPORT_COLUMNS = (
    "email", "name", "timezone", "send_hour", "weekdays_only", "newsletter", "confirmed_at",
    "status", "course_enabled", "paused", "created_at",
)
_EXPORTED = {"name": "first_name", "newsletter": "newsletter_enabled"}
IMPORT_CONSENT_TEXT = (
    "Imported from a CSV file by clinic staff. The person confirmed their address before "
    "the import (confirmed_at); the wording they agreed to is not in this record."
)
INVITE_CONSENT_TEXT = (
    "Imported from a CSV file by clinic staff without a confirmation time. A confirmation "
    "link was emailed; the person receives the course only after clicking it."
)

Progress = Callable[[int], None]


@dataclass
class ImportReport:
    imported: int = 0
    confirmed: int = 0
    pending: int = 0
    left: int = 0  # imported as unsubscribed or suppressed (or refused before): never mailed
    already: int = 0  # addresses already on the list, left unchanged
    confirmations: int = 0  # confirmation emails queued (--send-confirmation)
    errors: list[tuple[int, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    emails: set[str] = field(default_factory=set, repr=False)  # to catch later duplicates


def check_utf8(path: str) -> None:
    """Refuse a file that is not UTF-8 before anything is imported, naming the line."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line += chunk[: error.start].count(b"\n")
                raise InvalidInput(
                    f"line {line} is not UTF-8 text; in a spreadsheet, save as "
                    "\"CSV UTF-8\"") from error
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise InvalidInput(f"line {line} ends in the middle of a character") from error


def read_layout(path: str) -> csv_rows.Layout:
    """The delimiter and columns of the file at `path`; InvalidInput if it has no email, or
    if a row cannot be read as CSV (checked whole first, like the encoding)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        layout = csv_rows.detect_layout(handle.read(csv_rows.SNIFF_BYTES))
        handle.seek(0)
        csv_rows.check_cells(handle, layout)
    return layout


def _batches(path: str, layout: csv_rows.Layout) -> Iterator[list[tuple[int, dict[str, str]]]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        found = csv_rows.rows(handle, layout)
        while batch := list(islice(found, BATCH)):
            yield batch


def _store(session: Session, rows: list[tuple[int, dict[str, Any]]], source: str,
           now: datetime) -> list[int]:
    """Insert one batch: subscribers, then consents and enrolments for the confirmed."""
    values = [
        {**data, "public_id": new_public_id(),
         "suppressed_at": now if data["status"] == SubscriberStatus.SUPPRESSED else None,
         "suppressed_reason": ("imported as suppressed"
                               if data["status"] == SubscriberStatus.SUPPRESSED else None)}
        for _, data in rows
    ]
    ids = list(session.scalars(
        insert(Subscriber).returning(Subscriber.id, sort_by_parameter_order=True), values,
    ).all())
    consents, enrolments = [], []
    for subscriber_id, (line, data) in zip(ids, rows, strict=True):
        if data["status"] != SubscriberStatus.ACTIVE:
            continue
        consents.append({
            "subscriber_id": subscriber_id, "form": "csv-import", "text_version": "csv-import",
            "text": IMPORT_CONSENT_TEXT, "method": "imported",
            "submitted": {"file": source, "line": line, "imported_at": now.isoformat()},
            "given_at": data["confirmed_at"], "confirmed_at": data["confirmed_at"],
        })
        # Lesson 1 at their own send hour: an import at night mails nobody at 2 a.m.
        due = next_slot(now, data["send_hour"], data["timezone"], data["weekdays_only"])
        enrolments.append({
            "subscriber_id": subscriber_id, "last_position_sent": 0, "round": 1,
            "next_due_at": due, "started_at": now,
        })
    if consents:
        session.execute(insert(Consent), consents)
        session.execute(insert(Enrolment), enrolments)
    return ids


def _queue_confirmations(session: Session, subscribers: list[Subscriber], source: str,
                         now: datetime) -> int:
    """A confirmation email for each pending subscriber, as outbox rows; nothing is sent.

    Keyed by subscriber: however often a file is imported, an import invites each person
    once, so nobody gets a stream of unsolicited confirmation requests.
    """
    keys = {s.id: f"csv-confirmation:{s.public_id}" for s in subscribers}
    invited = set(session.scalars(
        select(Delivery.idempotency_key).where(Delivery.idempotency_key.in_(keys.values()))))
    queued = 0
    for subscriber in subscribers:
        key = keys[subscriber.id]
        if key in invited or not queue_transactional(
                session, subscriber, MessageKind.CONFIRMATION, now, key=key):
            continue
        session.add(Consent(
            subscriber=subscriber, form="csv-import", text_version="csv-import",
            text=INVITE_CONSENT_TEXT, method="imported; confirmation link emailed",
            submitted={"file": source, "queued_at": now.isoformat()}, given_at=now,
        ))
        queued += 1
    return queued


def _import_batch(session: Session, batch: list[tuple[int, dict[str, str]]],
                  report: ImportReport, options: dict[str, Any]) -> None:
    now: datetime = options["now"]
    good: list[tuple[int, dict[str, Any]]] = []
    for line, row in batch:
        try:
            data = csv_rows.parse_row(row, options["zones"], options["default_zone"], now)
        except InvalidInput as error:
            report.errors.append((line, str(error)))
            continue
        if data["email"] in report.emails:
            report.errors.append((line, f"{data['email']} appears earlier in the file"))
            continue
        report.emails.add(data["email"])
        good.append((line, data))
    existing = {s.email: s for s in session.scalars(select(Subscriber).where(
        Subscriber.email.in_([d["email"] for _, d in good])))}
    fresh = [(line, data) for line, data in good if data["email"] not in existing]
    # An address the mail server refused for good (even one since erased) is never mailed.
    refused = suppressed_among(session, options["secret_key"], [d["email"] for _, d in fresh])
    for _, data in fresh:
        if data["email"] in refused:
            data.update(status=SubscriberStatus.SUPPRESSED, confirmed_at=None)
    report.already += len(good) - len(fresh)
    ids = _store(session, fresh, options["source"], now) if fresh else []
    if options["send_confirmation"]:
        pending = [s for s in existing.values() if s.status == SubscriberStatus.PENDING]
        pending_ids = [i for i, (_, d) in zip(ids, fresh, strict=True)
                       if d["status"] == SubscriberStatus.PENDING]
        if pending_ids:
            pending += session.scalars(select(Subscriber).where(Subscriber.id.in_(pending_ids)))
        report.confirmations += _queue_confirmations(session, pending, options["source"], now)
    session.commit()
    for _, data in fresh:
        report.imported += 1
        if data["status"] == SubscriberStatus.ACTIVE:
            report.confirmed += 1
        elif data["status"] == SubscriberStatus.PENDING:
            report.pending += 1
        else:
            report.left += 1


def import_csv(app: Flask, path: str, now: datetime, progress: Progress | None = None, *,
               send_confirmation: bool = False) -> ImportReport:
    """Import a CSV of subscribers; every batch is committed on its own.

    With `send_confirmation`, each pending row (new, or already on the list and still
    pending) gets a confirmation email queued in the outbox; the worker sends it.
    """
    check_utf8(path)
    layout = read_layout(path)
    report = ImportReport(ignored_columns=layout.ignored)
    options = {
        "now": now, "zones": available_timezones(), "source": os.path.basename(path),
        "default_zone": app.config["CLINIC_TIMEZONE"], "send_confirmation": send_confirmation,
        "secret_key": config.signing_keys(app.config),
    }
    with app.app_context():
        for batch in _batches(path, layout):
            _import_batch(db.session(), batch, report, options)
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
    return csv_rows.guard(str(value))


def export_csv(app: Flask, path: str, progress: Progress | None = None) -> int:
    """Write every subscriber to `path`, streaming (memory stays flat); returns the count.

    A cell that a spreadsheet would run as a formula (a name like `=HYPERLINK(…)`) gets a
    leading quote; the import drops it again.
    """
    columns = [getattr(Subscriber, _EXPORTED.get(name, name)) for name in EXPORT_COLUMNS]
    count = 0
    with app.app_context(), open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        result = db.session.execute(
            select(*columns).order_by(Subscriber.id).execution_options(yield_per=BATCH)
        )
        for partition in result.partitions():
            writer.writerows([_cell(v) for v in row] for row in partition)
            count += len(partition)
            if progress:
                progress(len(partition))
        db.session.commit()
    return count
