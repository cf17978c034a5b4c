"""The preparing side of a connection: claim rows, load what they need, compose messages."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, joinedload

from service.delivery import outbox
from service.mail.compose import compose, compose_test
from service.mail.message import Outgoing
from service.models import (
    Delivery,
    DeliveryStatus,
    Lesson,
    LessonRevision,
    MessageKind,
    Subscriber,
    SubscriberStatus,
)

if TYPE_CHECKING:
    from service.delivery.sender import Job

CLAIM_BATCH = 50  # small: a killed pass strands few rows until their lease runs out
AHEAD = 4  # messages composed ahead of the one being sent


@dataclass
class Prepared:
    """A claimed row, ready: its message, or why it must be closed without sending."""

    delivery: Delivery
    message: Outgoing | None = None
    revision_id: int | None = None
    closed: tuple[str, str] | None = None  # (final status, reason)


def _load(session: Session, ids: list[int]) -> tuple[
    list[Delivery], dict[int, Subscriber], dict[int, LessonRevision], dict[int, LessonRevision]
]:
    """The claimed rows, their subscribers, the lessons' revisions published right now, and
    the revisions test sends name."""
    rows = list(session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(
        Delivery.next_attempt_at, Delivery.id)))
    people = {s.id: s for s in session.scalars(
        select(Subscriber).where(Subscriber.id.in_({r.subscriber_id for r in rows
                                                   if r.subscriber_id})))}
    lesson_ids = {r.lesson_id for r in rows if r.lesson_id and r.kind != MessageKind.TEST}
    revisions: dict[int, LessonRevision] = {}
    if lesson_ids:
        for revision in session.scalars(
            select(LessonRevision)
            .options(joinedload(LessonRevision.lesson))
            .join(Lesson, and_(Lesson.id == LessonRevision.lesson_id,
                               Lesson.published_number == LessonRevision.number))
            .where(Lesson.id.in_(lesson_ids), Lesson.retired_at.is_(None))
        ):
            revisions[revision.lesson_id] = revision
    tests: dict[int, LessonRevision] = {}  # a test send names its revision (a draft too)
    test_ids = {r.revision_id for r in rows if r.kind == MessageKind.TEST and r.revision_id}
    if test_ids:
        tests = {revision.id: revision for revision in session.scalars(
            select(LessonRevision).options(joinedload(LessonRevision.lesson))
            .where(LessonRevision.id.in_(test_ids)))}
    session.commit()
    return rows, people, revisions, tests


def refusal(delivery: Delivery, subscriber: Subscriber | None,
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


def _prepare_test(job: Job, delivery: Delivery, revision: LessonRevision | None) -> Prepared:
    if revision is None or not delivery.to_address:
        return Prepared(delivery, closed=(DeliveryStatus.CANCELLED, "revision deleted"))
    try:
        message = compose_test(delivery.to_address, revision, job.config, job.clock())
    except ValueError as error:
        return Prepared(delivery, closed=(DeliveryStatus.FAILED, f"cannot compose: {error}"))
    return Prepared(delivery, message=message, revision_id=revision.id)


def _prepare_one(job: Job, delivery: Delivery, subscriber: Subscriber | None,
                 revision: LessonRevision | None) -> Prepared:
    closed = refusal(delivery, subscriber, revision)
    if closed or subscriber is None:
        return Prepared(delivery, closed=closed or (DeliveryStatus.CANCELLED, ""))
    try:
        message = compose(delivery, subscriber, revision, job.config, job.clock())
    except ValueError as error:  # e.g. an address no header can carry: no retry will help
        return Prepared(delivery, closed=(DeliveryStatus.FAILED, f"cannot compose: {error}"))
    # A lesson records the revision actually composed, resolved now, not when queued.
    revision_id = revision.id if revision else delivery.revision_id
    return Prepared(delivery, message=message, revision_id=revision_id)


def _hand_over(ready: queue.Queue[Prepared | None], item: Prepared | None,
               halt: threading.Event) -> bool:
    """Put `item` on the queue, giving up if the sending side halts meanwhile."""
    while not halt.is_set():
        try:
            ready.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def claim_size(send_rate: float | None) -> int:
    """Rows per claim: at most a minute of sending under SEND_RATE, far inside the lease."""
    if not send_rate:
        return CLAIM_BATCH
    return max(1, min(CLAIM_BATCH, int(send_rate * 60)))


def prepare(job: Job, ready: queue.Queue[Prepared | None], halt: threading.Event) -> None:
    """Claim batches and compose their messages until nothing is due or the sender halts."""
    size = claim_size(job.config.get("SEND_RATE"))
    with Session(job.engine, expire_on_commit=False) as session:
        try:
            while not (halt.is_set() or job.stopping()):
                claimed = outbox.claim(session, job.clock(), size,
                                       subscriber_id=job.subscriber_id, ids=job.ids)
                if not claimed:
                    break
                rows, people, revisions, tests = _load(session, claimed)
                for index, delivery in enumerate(rows):
                    item = None
                    if halt.is_set() or job.stopping():
                        pass
                    elif delivery.kind == MessageKind.TEST:
                        item = _prepare_test(job, delivery, tests.get(delivery.revision_id or 0))
                    else:
                        item = _prepare_one(job, delivery, people.get(delivery.subscriber_id or 0),
                                            revisions.get(delivery.lesson_id or 0))
                    if item is None or not _hand_over(ready, item, halt):
                        outbox.release(session, [r.id for r in rows[index:]])
                        break
                session.expunge_all()
        finally:
            ready.put(None)  # the sender (or its drain) always reads until this
