"""Queueing mail: the one way any code (web, CLI, admin, newsletter) asks for a message.

Every message is a row of the outbox (service.models.delivery.Delivery); these functions
add rows and flush, the caller commits, and the worker sends (service.jobs). Nothing here
talks to SMTP. Each kind has a key that makes queueing idempotent:

- `queue_transactional(session, subscriber, kind, now, key=...)`: a confirmation or an
  "already subscribed" note; `key` (unique) says which event it answers.
- `queue_first_confirmation(session, subscriber_id, now, key=...)`: the confirmation of a
  subscriber added in the same transaction (the first signup of an address, on SQLite;
  on PostgreSQL service.subscriptions.first_signup writes that row, built by
  `outbox_row`, in the same statement as the subscriber).
- `queue_test(session, to_address, now, key=..., revision_id=... | newsletter_issue_id=...)`:
  a staff member's test send of a lesson revision (a draft too) or an issue, to an
  address that need not be a subscriber.
- `queue_lesson(session, subscriber_id, lesson_id, round, now)`: one lesson, keyed by
  (subscriber, lesson, round); the dispatch pass queues due lessons in bulk the same way.
- `queue_newsletter(session, issue, now, where=..., due_at=...)`: one issue fanned out,
  set-based, to the subscribers `where` selects (service.newsletter.fanout gives the
  audience rule), keyed by (subscriber, issue): safe to run twice.
- `cancel_issue_rows(session, issue_id)`: take back the queued rows of a stopped issue.
- `cancel_queued(session, subscriber_id, lanes)`: take back what is queued and not yet
  claimed (pause, course off, unsubscribe, suppression all use it).

Lanes (Lane.TRANSACTIONAL < LESSONS < NEWSLETTERS) order every claim, so a confirmation
never waits behind a newsletter; the worker also polls the transactional lane every
couple of seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.models import (
    LANE_OF,
    Delivery,
    DeliveryStatus,
    Enrolment,
    IssueStatus,
    Lane,
    Lesson,
    MessageKind,
    NewsletterIssue,
    Subscriber,
    SubscriberStatus,
)

ALL_LANES = frozenset(Lane)
# Confirmation emails one address may get in 24 hours, whatever asked for them (signup,
# subscribe again, fresh links, an import): a stranger cannot flood someone's inbox.
CONFIRMATIONS_PER_DAY = 3
# An INSERT's row count is kept only when asked for (psycopg closes the cursor first).
_COUNTED = {"preserve_rowcount": True}


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(Delivery)


def outbox_row(kind: MessageKind, now: datetime, **values: Any) -> dict[str, Any]:
    """The columns of a new outbox row of `kind`, due now; `values` add or override."""
    return {"kind": kind, "lane": LANE_OF[kind], "status": DeliveryStatus.QUEUED,
            "attempts": 0, "round": 1, "next_attempt_at": now, "created_at": now, **values}


def queue_transactional(
    session: Session, subscriber: Subscriber, kind: MessageKind, now: datetime,
    *, key: str | None = None,
) -> bool:
    """Queue a confirmation or "already subscribed" email; False if `key` was queued before."""
    if LANE_OF[kind] != Lane.TRANSACTIONAL or kind == MessageKind.TEST:
        raise ValueError(f"{kind} is not a transactional message to a subscriber")
    session.flush()  # the subscriber needs its id
    if kind == MessageKind.CONFIRMATION and not may_confirm(session, subscriber, now):
        return False
    statement = _insert(session).values(outbox_row(
        kind, now, subscriber_id=subscriber.id, idempotency_key=key or uuid.uuid4().hex,
    )).on_conflict_do_nothing(index_elements=["idempotency_key"])
    return bool(session.connection().execute(statement, execution_options=_COUNTED).rowcount)


def queue_first_confirmation(
    connection: Connection, subscriber_id: int, now: datetime, *, key: str
) -> None:
    """Queue the confirmation of a subscriber added in this same transaction.

    Such a subscriber has had no confirmation yet, so the daily cap has nothing to count.
    """
    connection.execute(insert(Delivery), outbox_row(
        MessageKind.CONFIRMATION, now, subscriber_id=subscriber_id, idempotency_key=key))


def may_confirm(session: Session, subscriber: Subscriber, now: datetime) -> bool:
    """Whether this address is still under its daily cap of confirmation emails."""
    if subscriber.id is None:
        return True
    sent = session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.subscriber_id == subscriber.id, Delivery.kind == MessageKind.CONFIRMATION,
        Delivery.created_at > now - timedelta(days=1)))
    return (sent or 0) < CONFIRMATIONS_PER_DAY


def queue_test(
    session: Session, to_address: str, now: datetime, *, key: str | None = None,
    revision_id: int | None = None, newsletter_issue_id: int | None = None,
) -> bool:
    """Queue a test send of a lesson revision (a draft too) or an issue; False if a repeat."""
    if (revision_id is None) == (newsletter_issue_id is None):
        raise ValueError("a test send is of one lesson revision or one newsletter issue")
    statement = _insert(session).values(outbox_row(
        MessageKind.TEST, now, to_address=to_address, revision_id=revision_id,
        newsletter_issue_id=newsletter_issue_id, idempotency_key=key or uuid.uuid4().hex,
    )).on_conflict_do_nothing(index_elements=["idempotency_key"])
    return bool(session.connection().execute(statement, execution_options=_COUNTED).rowcount)


def queue_lessons(session: Session, rows: list[dict[str, Any]], now: datetime) -> None:
    """Queue lessons given as {subscriber_id, lesson_id, round}; ones already queued stay."""
    if not rows:
        return
    statement = _insert(session).on_conflict_do_nothing(
        index_elements=["subscriber_id", "lesson_id", "round"]
    )
    session.execute(statement, [outbox_row(MessageKind.LESSON, now, **row) for row in rows])


def queue_lesson(
    session: Session, subscriber_id: int, lesson_id: int, round: int, now: datetime
) -> None:
    """Queue one lesson for one subscriber, due now; queued before, it stays as it was."""
    queue_lessons(session, [{"subscriber_id": subscriber_id, "lesson_id": lesson_id,
                             "round": round}], now)


def newsletter_wanted() -> list[ColumnElement[bool]]:
    """The least an issue's recipient must be: active, newsletter on, not paused for good."""
    return [Subscriber.status == SubscriberStatus.ACTIVE,
            Subscriber.newsletter_enabled.is_(True), Subscriber.paused.is_(False)]


def queue_newsletter(
    session: Session, issue: NewsletterIssue, now: datetime, *,
    where: Sequence[ColumnElement[bool]] | None = None, due_at: datetime | None = None,
) -> int:
    """Fan `issue` out to every subscriber matching `where`, due at `due_at`; rows added.

    One INSERT … SELECT … ON CONFLICT DO NOTHING: the database does the work whatever the
    list size, and a second run (or two at once) adds nobody twice. `where` defaults to
    newsletter_wanted(); service.newsletter.fanout passes the full audience rule.
    """
    session.flush()
    due = due_at or now
    columns = ["subscriber_id", "kind", "lane", "newsletter_issue_id", "status", "attempts",
               "round", "next_attempt_at", "created_at"]
    audience = select(
        Subscriber.id, literal(MessageKind.NEWSLETTER.value), literal(int(Lane.NEWSLETTERS)),
        literal(issue.id), literal(DeliveryStatus.QUEUED.value), literal(0), literal(1),
        literal(due, Delivery.next_attempt_at.type), literal(now, Delivery.created_at.type),
    ).where(*(newsletter_wanted() if where is None else where))
    statement = _insert(session).from_select(columns, audience).on_conflict_do_nothing(
        index_elements=["subscriber_id", "newsletter_issue_id"]
    )
    added = int(session.connection().execute(statement, execution_options=_COUNTED).rowcount or 0)
    if issue.status in (IssueStatus.DRAFT, IssueStatus.SCHEDULED):
        issue.status = IssueStatus.SENDING
    issue.sent_at = issue.sent_at or now
    issue.audience_size = (issue.audience_size or 0) + added
    session.flush()
    return added


def cancel_issue_rows(session: Session, issue_id: int) -> int:
    """Take back every queued row of one issue (a stop); rows already claimed are refused
    by the sending side, which reads the issue's status with each "sent" mark."""
    result = session.execute(
        update(Delivery).where(Delivery.newsletter_issue_id == issue_id,
                               Delivery.kind == MessageKind.NEWSLETTER,
                               Delivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.CANCELLED, smtp_reply="issue stopped")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def cancel_queued(
    session: Session, subscriber_id: int, lanes: Collection[Lane] = ALL_LANES
) -> int:
    """Take back what is queued for one subscriber in `lanes`; rows taken back.

    Only rows not yet claimed: one already being handed to SMTP cannot be recalled. Queued
    lessons are deleted and the enrolment rewound to before the first of them, so a resume
    (or a return) sends them again; other kinds stay on record as cancelled.
    """
    wanted = [int(lane) for lane in lanes]
    mine = (Delivery.subscriber_id == subscriber_id, Delivery.status == DeliveryStatus.QUEUED)
    taken = 0
    if Lane.LESSONS in wanted:
        first = session.scalar(
            select(func.min(Lesson.position)).join(Delivery, Delivery.lesson_id == Lesson.id)
            .join(Enrolment, Enrolment.subscriber_id == Delivery.subscriber_id)
            .where(*mine, Delivery.kind == MessageKind.LESSON, Delivery.round == Enrolment.round)
        )
        result = session.execute(delete(Delivery).where(*mine, Delivery.kind == MessageKind.LESSON))
        taken += int(result.rowcount or 0)  # type: ignore[attr-defined]
        if first is not None:
            session.execute(
                update(Enrolment)
                .where(Enrolment.subscriber_id == subscriber_id,
                       Enrolment.last_position_sent >= first)
                .values(last_position_sent=first - 1, completed_at=None)
            )
    others = [lane for lane in wanted if lane != Lane.LESSONS]
    if others:
        result = session.execute(
            update(Delivery).where(*mine, Delivery.lane.in_(others))
            .values(status=DeliveryStatus.CANCELLED).execution_options(synchronize_session=False)
        )
        taken += int(result.rowcount or 0)  # type: ignore[attr-defined]
    session.flush()
    return taken
