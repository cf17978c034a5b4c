"""Deliver the outbox: claim a batch, compose and send each row, record each at once.

One SMTP connection per sending thread, reused for every message it sends; SMTP_CONNECTIONS
threads run side by side, each with its own connection and database session.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import Engine, and_, select
from sqlalchemy.orm import Session, joinedload

from service.delivery import outbox
from service.mail.compose import compose
from service.mail.transport import DeliveryError, PermanentFailure, Transport, open_transport
from service.models import (
    Delivery,
    DeliveryStatus,
    Lesson,
    LessonRevision,
    MessageKind,
    Subscriber,
    SubscriberStatus,
    utcnow,
)

CLAIM_BATCH = 50  # small: a killed pass strands few rows until their lease runs out


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
    stop: threading.Event = field(default_factory=threading.Event)
    counts: Counts = field(default_factory=Counts)
    started: float = field(default_factory=time.monotonic)

    def clock(self) -> datetime:
        """`now` moved on by the time the pass has taken: claims and leases stay truthful."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)


def _load(session: Session, ids: list[int]) -> tuple[list[Delivery], dict[int, Subscriber],
                                                       dict[int, LessonRevision]]:
    """The claimed rows, their subscribers and the lessons' revisions published right now."""
    rows = list(session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(
        Delivery.next_attempt_at, Delivery.id)))
    people = {s.id: s for s in session.scalars(
        select(Subscriber).where(Subscriber.id.in_({r.subscriber_id for r in rows})))}
    lesson_ids = {r.lesson_id for r in rows if r.lesson_id}
    revisions: dict[int, LessonRevision] = {}
    if lesson_ids:
        for revision in session.scalars(
            select(LessonRevision)
            .options(joinedload(LessonRevision.lesson))
            .join(Lesson, and_(Lesson.id == LessonRevision.lesson_id,
                               Lesson.published_number == LessonRevision.number))
            .where(Lesson.id.in_(lesson_ids))
        ):
            revisions[revision.lesson_id] = revision
    session.commit()
    return rows, people, revisions


def _refusal(delivery: Delivery, subscriber: Subscriber | None,
             revision: LessonRevision | None) -> tuple[str, str] | None:
    """Why a claimed row must not be sent now, as (final status, reason), or None."""
    if subscriber is None:
        return DeliveryStatus.CANCELLED, "subscriber deleted"
    if subscriber.status == SubscriberStatus.SUPPRESSED:
        return DeliveryStatus.SUPPRESSED, subscriber.suppressed_reason or "address suppressed"
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        return DeliveryStatus.CANCELLED, "unsubscribed"
    if delivery.kind in (MessageKind.LESSON, MessageKind.NEWSLETTER):
        if subscriber.status != SubscriberStatus.ACTIVE:
            return DeliveryStatus.CANCELLED, f"subscriber is {subscriber.status}"
    if delivery.kind == MessageKind.LESSON and revision is None:
        return DeliveryStatus.CANCELLED, "lesson no longer published"
    return None


def _send_one(job: Job, session: Session, transport: Transport, rate: RateLimit,
              delivery: Delivery, subscriber: Subscriber | None,
              revision: LessonRevision | None) -> bool:
    """Send one row and record the outcome; False when SMTP cannot be reached at all."""
    refusal = _refusal(delivery, subscriber, revision)
    if refusal or subscriber is None:
        outbox.record_skipped(session, delivery, *(refusal or ("cancelled", "")))
        job.counts.add("cancelled")
        return True
    try:
        message = compose(delivery, subscriber, revision, job.config, job.clock())
    except ValueError as error:  # e.g. an address no header can carry: no retry will help
        outbox.record_skipped(session, delivery, DeliveryStatus.FAILED, f"cannot compose: {error}")
        job.counts.add("failed")
        return True
    rate.wait()
    try:
        transport.send(message)
    except PermanentFailure as error:
        outbox.record_suppressed(session, delivery, f"{error.code} {error.reply}", job.clock())
        job.counts.add("suppressed")
        return True
    except DeliveryError as error:
        reply = f"{error.code} {error.reply}" if error.code else error.reply
        retrying = outbox.record_retry(session, delivery, reply, job.clock())
        job.counts.add("retried" if retrying else "failed")
        return error.code is not None  # no reply at all: the server is unreachable
    outbox.record_sent(session, delivery, revision.id if revision else delivery.revision_id,
                       str(message["Message-ID"]), job.clock())
    job.counts.add("sent")
    return True


def _sending_thread(job: Job, rate: RateLimit) -> None:
    """Claim and send batches until nothing is due, SMTP is down, or we are told to stop."""
    with Session(job.engine, expire_on_commit=False) as session, \
            open_transport(job.config) as transport:
        while not job.stop.is_set():
            claimed = outbox.claim(session, job.clock(), CLAIM_BATCH,
                                   subscriber_id=job.subscriber_id, ids=job.ids)
            if not claimed:
                return
            rows, people, revisions = _load(session, claimed)
            for index, delivery in enumerate(rows):
                if job.stop.is_set():
                    outbox.release(session, [r.id for r in rows[index:]])
                    return
                reachable = _send_one(job, session, transport, rate, delivery,
                                      people.get(delivery.subscriber_id),
                                      revisions.get(delivery.lesson_id or 0))
                if not reachable:
                    # Leave the rest for a later pass instead of spending their attempts.
                    outbox.release(session, [r.id for r in rows[index + 1:]])
                    job.stop.set()
                    return
            session.expunge_all()


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
            job.stop.set()

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
