"""The preparing side of a connection: claim rows, load what they refer to, build messages."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload

from service.course.outline import course_places
from service.delivery import store
from service.delivery.builders import Batch, Env, build, refusal
from service.delivery.job import Job
from service.mail.message import Outgoing
from service.models import (
    Consent,
    Delivery,
    DeliveryStatus,
    Lesson,
    LessonRevision,
    MessageKind,
    NewsletterIssue,
    Subscriber,
)
from service.subscriptions.suppression import Keys, suppressed_among

CLAIM_BATCH = 50  # small: a killed pass strands few rows until their lease runs out
# Messages composed ahead are handed to the sender this many at a time: one hand-over (two
# thread wake-ups) per message cost as much CPU as composing the message's headers.
HANDOVER = 8
WAITING = 3  # hand-overs queued: the sender goes on while the next claim loads
# How long composing waits for the sending thread to be waiting (see `_turn`), at most: a
# sender that is never idle that long must not stall its own supply.
TURN_WAIT = 0.002


@dataclass
class Prepared:
    """A claimed row, ready: its message, or why it must be closed without sending."""

    delivery: Delivery
    message: Outgoing | None = None
    revision_id: int | None = None
    closed: tuple[str, str] | None = None  # (final status, reason)


def _revisions(session: Session, rows: list[Delivery]) -> tuple[dict[int, LessonRevision],
                                                                dict[int, LessonRevision]]:
    """Lessons' revisions published right now (by lesson), and those test sends name (by id)."""
    lesson_ids = {r.lesson_id for r in rows if r.lesson_id}
    draft_ids = {r.revision_id for r in rows if r.subscriber_id is None and r.revision_id}
    published: dict[int, LessonRevision] = {}
    if lesson_ids:
        for revision in session.scalars(
            select(LessonRevision).options(joinedload(LessonRevision.lesson))
            .join(Lesson, and_(Lesson.id == LessonRevision.lesson_id,
                               Lesson.published_number == LessonRevision.number))
            .where(Lesson.id.in_(lesson_ids), Lesson.retired_at.is_(None))
        ):
            published[revision.lesson_id] = revision
    drafts = {r.id: r for r in session.scalars(
        select(LessonRevision).options(joinedload(LessonRevision.lesson))
        .where(LessonRevision.id.in_(draft_ids)))} if draft_ids else {}
    return published, drafts


def load(session: Session, secret_key: Keys, ids: list[int]) -> tuple[list[Delivery], Batch]:
    """The claimed rows, most urgent first, and everything they refer to."""
    rows = list(session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(
        Delivery.lane, Delivery.next_attempt_at, Delivery.id)))
    people = {s.id: s for s in session.scalars(select(Subscriber).where(
        Subscriber.id.in_({r.subscriber_id for r in rows if r.subscriber_id})))}
    issue_ids = {r.newsletter_issue_id for r in rows if r.newsletter_issue_id}
    issues = {i.id: i for i in session.scalars(
        select(NewsletterIssue).where(NewsletterIssue.id.in_(issue_ids)))} if issue_ids else {}
    published, drafts = _revisions(session, rows)
    addresses = [p.email for p in people.values()] + [r.to_address for r in rows if r.to_address]
    suppressed = suppressed_among(session, secret_key, addresses)
    places = course_places(session) if published or drafts else {}
    signups = _open_signups(session, {r.subscriber_id for r in rows
                                      if r.kind == MessageKind.CONFIRMATION and r.subscriber_id})
    session.commit()
    return rows, Batch(people, published, drafts, issues, suppressed, places, signups)


def _open_signups(session: Session, subscriber_ids: set[int]) -> dict[int, int]:
    """Each subscriber's newest consent not withdrawn: what a confirmation link confirms."""
    if not subscriber_ids:
        return {}
    found = session.execute(
        select(Consent.subscriber_id, func.max(Consent.id))
        .where(Consent.subscriber_id.in_(subscriber_ids), Consent.withdrawn_at.is_(None))
        .group_by(Consent.subscriber_id))
    return {subscriber_id: consent_id for subscriber_id, consent_id in found}


def prepare_one(delivery: Delivery, batch: Batch, env: Env) -> Prepared:
    """Build one row's message, or say why it is closed instead."""
    closed = refusal(delivery, batch)
    if closed:
        return Prepared(delivery, closed=closed)
    try:
        built = build(delivery, batch, env)
    except ValueError as error:  # e.g. an address no header can carry: no retry will help
        return Prepared(delivery, closed=(DeliveryStatus.FAILED, f"cannot compose: {error}"))
    return Prepared(delivery, message=built.message,
                    revision_id=built.revision_id or delivery.revision_id)


def _turn(idle: threading.Event) -> None:
    """Wait (briefly) until the sending thread waits too, before a stretch of CPU work.

    Both threads share one GIL. The sending thread needs it for a moment at each reply of
    the mail server; composing meanwhile makes every reply wait for it, which cost about a
    tenth of the newsletter rate at the sink (README, Benchmarks). Composing while the
    server reads a message's content (or while the sender waits for a hand-over) delays
    nothing.
    """
    idle.wait(TURN_WAIT)


def _hand_over(ready: queue.Queue[list[Prepared] | None], items: list[Prepared],
               halt: threading.Event) -> bool:
    """Put `items` on the queue, giving up if the sending side halts meanwhile."""
    while not halt.is_set():
        try:
            ready.put(items, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def claim_size(send_rate: float | None) -> int:
    """Rows per claim: at most a minute of sending under SEND_RATE, far inside the lease."""
    if not send_rate:
        return CLAIM_BATCH
    return max(1, min(CLAIM_BATCH, int(send_rate * 60)))


def _prepare_rows(session: Session, rows: list[Delivery], batch: Batch, env: Env, job: Job,
                  ready: queue.Queue[list[Prepared] | None], halt: threading.Event,
                  idle: threading.Event) -> bool:
    """Build one claim's messages, HANDOVER at a time; False (rest released) on a halt."""
    for start in range(0, len(rows), HANDOVER):
        items = []
        for delivery in rows[start:start + HANDOVER]:
            if halt.is_set() or job.stopping():
                break
            _turn(idle)
            items.append(prepare_one(delivery, batch, env))
        if len(items) < len(rows[start:start + HANDOVER]) or not _hand_over(ready, items, halt):
            store.release(session, [r.id for r in rows[start:]])
            return False
    return True


def prepare(job: Job, ready: queue.Queue[list[Prepared] | None], halt: threading.Event,
            idle: threading.Event) -> None:
    """Claim batches and build their messages until nothing is due or the sender halts.

    `idle` is set while the sending thread waits (see `_turn`)."""
    size = claim_size(job.settings.send_rate)
    with Session(job.engine, expire_on_commit=False) as session:
        try:
            while not (halt.is_set() or job.stopping()):
                claimed = store.claim(session, job.clock(), size, job.lanes)
                if not claimed:
                    break
                _turn(idle)
                rows, batch = load(session, job.settings.keys, claimed)
                env = Env.from_config(job.config, job.clock())
                if not _prepare_rows(session, rows, batch, env, job, ready, halt, idle):
                    break
                session.expunge_all()
        finally:
            ready.put(None)  # the sender (or its drain) always reads until this
