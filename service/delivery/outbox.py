"""The outbox: queue a message as a row, claim rows to send, record what became of each.

A row moves queued -> sending (claimed, with claimed_at) -> sent / queued again (retry)
/ failed / suppressed / cancelled. Every change is its own short transaction, so a pass
killed at any point leaves at most the one message in flight unrecorded.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

from flask import Flask
from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.orm import Session

from service.delivery.database import begin_write, is_postgres
from service.delivery.policy import LEASE, gives_up, retry_delay
from service.models import (
    Delivery,
    DeliveryStatus,
    Enrolment,
    Lesson,
    LessonRevision,
    MessageKind,
    Subscriber,
    SubscriberStatus,
)

_TABLE = Delivery.__table__


def queue_message(
    session: Session,
    subscriber: Subscriber,
    kind: MessageKind,
    now: datetime,
    *,
    lesson: Lesson | None = None,
    revision: LessonRevision | None = None,
) -> Delivery:
    """Add one message to the outbox, due now. Flushes only; the caller commits."""
    delivery = Delivery(
        subscriber_id=subscriber.id,
        kind=kind,
        lesson_id=lesson.id if lesson else None,
        revision_id=revision.id if revision else None,
        status=DeliveryStatus.QUEUED,
        next_attempt_at=now,
        created_at=now,
        round=1,
    )
    if lesson is not None:
        enrolment = session.get(Enrolment, subscriber.id)
        delivery.round = enrolment.round if enrolment else 1
    session.add(delivery)
    session.flush()
    return delivery


def reclaim_abandoned(session: Session, now: datetime) -> int:
    """Put rows claimed longer than the lease ago back in the queue: their pass died."""
    begin_write(session)
    result = session.execute(
        update(_TABLE)
        .where(_TABLE.c.status == DeliveryStatus.SENDING, _TABLE.c.claimed_at < now - LEASE)
        .values(status=DeliveryStatus.QUEUED, claimed_at=None)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def claim(
    session: Session,
    now: datetime,
    limit: int,
    *,
    subscriber_id: int | None = None,
    ids: Sequence[int] | None = None,
) -> list[int]:
    """Mark up to `limit` due rows as ours (`sending`) in one short transaction.

    On PostgreSQL FOR UPDATE SKIP LOCKED lets concurrent passes take disjoint rows; on
    SQLite BEGIN IMMEDIATE makes claims take turns. Either way no row is claimed twice.
    """
    begin_write(session)
    query = (
        select(_TABLE.c.id)
        .where(_TABLE.c.status == DeliveryStatus.QUEUED, _TABLE.c.next_attempt_at <= now)
        .order_by(_TABLE.c.next_attempt_at, _TABLE.c.id)
        .limit(limit)
    )
    if subscriber_id is not None:
        query = query.where(_TABLE.c.subscriber_id == subscriber_id)
    if ids is not None:
        query = query.where(_TABLE.c.id.in_(list(ids)))
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    claimed = list(session.scalars(query).all())
    if claimed:
        session.execute(
            update(_TABLE)
            .where(_TABLE.c.id.in_(claimed))
            .values(status=DeliveryStatus.SENDING, claimed_at=now)
        )
    session.commit()
    return claimed


def release(session: Session, ids: Sequence[int]) -> None:
    """Give claimed rows back untouched (the pass is stopping or SMTP is unreachable)."""
    if not ids:
        return
    session.execute(
        update(_TABLE)
        .where(_TABLE.c.id.in_(list(ids)), _TABLE.c.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.QUEUED, claimed_at=None)
    )
    session.commit()


_MARK_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("b_id"))
    .values(
        status=DeliveryStatus.SENT, sent_at=bindparam("b_sent_at"),
        attempts=_TABLE.c.attempts + 1, revision_id=bindparam("b_revision_id"),
        message_id=bindparam("b_message_id"), smtp_reply=None,
    )
)


class SentMarks:
    """Records "sent" for one sending thread: one autocommitted UPDATE per message.

    The mark is what prevents a repeat, so it is durable before the next message goes. Its
    own connection in autocommit makes it one round trip (no BEGIN / COMMIT). On PostgreSQL
    synchronous_commit is off for this connection only: the commit is still atomic and
    survives a killed dispatch process; a PostgreSQL server crash can lose the last few
    hundred milliseconds of marks, and those messages then go again, the trade SQLite's
    synchronous=NORMAL already makes (service/delivery/database.py). The setting is reset
    before the connection goes back to the pool, so it reaches nothing else.
    """

    def __init__(self, engine: Engine) -> None:
        self.connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.postgres = self.connection.dialect.name == "postgresql"
        if self.postgres:
            self.connection.exec_driver_sql("SET synchronous_commit = off")

    def record_sent(self, delivery: Delivery, revision_id: int | None, message_id: str,
                    now: datetime) -> None:
        """The message left: say so durably at once, before the next one goes."""
        self.connection.execute(_MARK_SENT, {"b_id": delivery.id, "b_sent_at": now,
                                             "b_revision_id": revision_id,
                                             "b_message_id": message_id[:255]})

    def close(self) -> None:
        """Give the connection back as it was; one that cannot be reset is discarded."""
        if self.postgres:
            try:
                self.connection.exec_driver_sql("RESET synchronous_commit")
            except Exception:  # a broken connection: never pool it with the setting on
                self.connection.invalidate()
        self.connection.close()

    def __enter__(self) -> SentMarks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def record_retry(session: Session, delivery: Delivery, reply: str, now: datetime) -> bool:
    """A transient failure: retry later with backoff, or give up. True if it will retry."""
    attempts = delivery.attempts + 1
    retrying = not gives_up(attempts)
    session.execute(
        update(_TABLE)
        .where(_TABLE.c.id == delivery.id)
        .values(
            status=DeliveryStatus.QUEUED if retrying else DeliveryStatus.FAILED,
            attempts=attempts, smtp_reply=reply[:500], claimed_at=None,
            next_attempt_at=now + retry_delay(attempts, random.random()),
        )
    )
    session.commit()
    return retrying


def record_suppressed(session: Session, delivery: Delivery, reply: str, now: datetime) -> None:
    """A 5xx for the recipient: suppress the address, cancel everything else queued for it."""
    session.execute(
        update(_TABLE)
        .where(_TABLE.c.id == delivery.id)
        .values(
            status=DeliveryStatus.SUPPRESSED, attempts=_TABLE.c.attempts + 1,
            smtp_reply=reply[:500], claimed_at=None,
        )
    )
    if delivery.subscriber_id is not None:
        suppress_subscriber(session, delivery.subscriber_id, reply, now)
    session.commit()


def suppress_subscriber(session: Session, subscriber_id: int, reason: str, now: datetime) -> None:
    """Mark the address as refused for good and stop all mail to it. Does not commit."""
    subscribers = Subscriber.__table__
    session.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id)
        .values(status=SubscriberStatus.SUPPRESSED, suppressed_at=now,
                suppressed_reason=reason[:500])
    )
    session.execute(
        update(_TABLE)
        .where(
            _TABLE.c.subscriber_id == subscriber_id,
            _TABLE.c.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING]),
        )
        .values(status=DeliveryStatus.CANCELLED, claimed_at=None)
    )
    session.execute(
        update(Enrolment.__table__)
        .where(Enrolment.__table__.c.subscriber_id == subscriber_id)
        .values(next_due_at=None)
    )


def record_skipped(session: Session, delivery: Delivery, status: str, reason: str) -> None:
    """A row that must not go (unsubscribed, suppressed, lesson unpublished): close it."""
    session.execute(
        update(_TABLE)
        .where(_TABLE.c.id == delivery.id)
        .values(status=status, smtp_reply=reason[:500], claimed_at=None)
    )
    session.commit()


def send_now(app: Flask, delivery_ids: list[int]) -> None:
    """Send these committed rows at once; a failure leaves them queued for the worker."""
    if not delivery_ids:
        return
    from service.delivery.sender import deliver_for_app

    deliver_for_app(app, ids=delivery_ids)
