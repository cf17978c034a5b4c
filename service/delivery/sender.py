"""Deliver the outbox: claim a batch, compose and send each row, record each at once.

One SMTP connection per sending thread, reused for every message it sends; SMTP_CONNECTIONS
threads run side by side, each with its own connection and database session, plus one
database connection that only records "sent" (outbox.SentMarks: one round trip per message).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.delivery import outbox
from service.delivery.preparing import AHEAD, Prepared, prepare
from service.mail.transport import DeliveryError, PermanentFailure, Transport, open_transport
from service.models import DeliveryStatus, utcnow


@dataclass
class Counts:
    """What one pass did; shared by the sending threads."""

    queued: int = 0
    sent: int = 0
    retried: int = 0
    suppressed: int = 0
    failed: int = 0
    cancelled: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)

    def line(self) -> str:
        names = ("queued", "sent", "retried", "suppressed", "failed")
        return " ".join(f"{name}={getattr(self, name)}" for name in names)


class RateLimit:
    """At most `rate` messages per second across all threads (None: no limit)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            start = max(self.next_at, now)
            self.next_at = start + self.interval
        if start > now:
            time.sleep(start - now)


@dataclass
class Job:
    """One delivery run: the instant it is for, its filters, and how to stop it."""

    engine: Engine
    config: Mapping[str, Any]
    now: datetime
    subscriber_id: int | None = None
    ids: Sequence[int] | None = None
    stop: threading.Event = field(default_factory=threading.Event)  # set from outside (SIGTERM)
    halted: threading.Event = field(default_factory=threading.Event)  # this pass gives up
    counts: Counts = field(default_factory=Counts)
    # Addresses refused (5xx) during this pass: rows for them composed ahead must not go.
    suppressed: set[int] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)

    def stopping(self) -> bool:
        """Whether to stop between messages: told to from outside, or this pass gave up."""
        return self.stop.is_set() or self.halted.is_set()

    def clock(self) -> datetime:
        """`now` moved on by the time the pass has taken: claims and leases stay truthful."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)


def _send_prepared(job: Job, session: Session, marks: outbox.SentMarks, transport: Transport,
                   rate: RateLimit, item: Prepared) -> bool:
    """Send one prepared row and record the outcome; False when SMTP cannot be reached."""
    delivery = item.delivery
    if delivery.subscriber_id in job.suppressed:
        item.closed = (DeliveryStatus.SUPPRESSED, "address refused earlier in this pass")
    if item.closed is not None:
        outbox.record_skipped(session, delivery, *item.closed)
        job.counts.add("failed" if item.closed[0] == DeliveryStatus.FAILED else "cancelled")
        return True
    assert item.message is not None
    rate.wait()
    try:
        transport.send(item.message)
    except PermanentFailure as error:
        if delivery.subscriber_id is not None:  # a test send's staff address is nobody's
            job.suppressed.add(delivery.subscriber_id)
        outbox.record_suppressed(session, delivery, f"{error.code} {error.reply}", job.clock())
        job.counts.add("suppressed")
        return True
    except DeliveryError as error:
        reply = f"{error.code} {error.reply}" if error.code else error.reply
        retrying = outbox.record_retry(session, delivery, reply, job.clock())
        job.counts.add("retried" if retrying else "failed")
        return error.code is not None  # no reply at all: the server is unreachable
    marks.record_sent(delivery, item.revision_id, item.message.message_id, job.clock())
    job.counts.add("sent")
    return True


def _sending_thread(job: Job, rate: RateLimit) -> None:
    """Send what the preparing thread hands over until it is done, SMTP is down, or stop.

    Composing (CPU) runs one thread ahead of sending (mostly waiting on the SMTP server and
    the database), so the two overlap. Rows are still marked sent one by one, right after
    each send: a crash leaves at most the one message in flight unrecorded.
    """
    ready: queue.Queue[Prepared | None] = queue.Queue(maxsize=AHEAD)
    halt = threading.Event()  # this connection stops: SMTP unreachable, error, or job.stop
    failures: list[BaseException] = []

    def run_preparer() -> None:
        try:
            prepare(job, ready, halt)
        except BaseException as error:  # re-raised below, in the thread that owns the pass
            failures.append(error)

    preparer = threading.Thread(target=run_preparer, name="prepare")
    preparer.start()
    finished = False  # whether the preparer's closing None has been read
    try:
        with Session(job.engine, expire_on_commit=False) as session, \
                outbox.SentMarks(job.engine) as marks, open_transport(job.config) as transport:
            while (item := ready.get()) is not None:
                if job.stopping() or halt.is_set():
                    outbox.release(session, [item.delivery.id])
                elif not _send_prepared(job, session, marks, transport, rate, item):
                    halt.set()  # leave the rest for a later pass instead of spending attempts
                    job.halted.set()
            finished = True
    finally:
        halt.set()
        if not finished:
            _drain(job, ready)
        preparer.join()
    if failures:
        raise failures[0]


def _drain(job: Job, ready: queue.Queue[Prepared | None]) -> None:
    """Give back whatever was prepared but not sent, until the preparer says it is done."""
    with Session(job.engine) as session:
        while (item := ready.get()) is not None:
            outbox.release(session, [item.delivery.id])


def deliver(job: Job) -> Counts:
    """Deliver everything due at `job.now` (or only the given rows / subscriber)."""
    with Session(job.engine) as session:
        outbox.reclaim_abandoned(session, job.clock())
    connections = max(1, int(job.config.get("SMTP_CONNECTIONS") or 1))
    rate = RateLimit(job.config.get("SEND_RATE"))
    if connections == 1 or job.ids is not None or job.subscriber_id is not None:
        _sending_thread(job, rate)
        return job.counts
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _sending_thread(job, rate)
        except BaseException as error:  # surfaced below, after the other threads finish
            errors.append(error)
            job.halted.set()

    threads = [threading.Thread(target=run, name=f"send-{n}") for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return job.counts


def deliver_for_app(app: Flask, *, ids: Sequence[int] | None = None,
                    now: Callable[[], datetime] = utcnow) -> Counts:
    """Send the given committed rows now, outside any request transaction."""
    from service.extensions import db

    with app.app_context():
        engine = db.engine
    return deliver(Job(engine=engine, config=app.config, now=now(), ids=ids))
