"""The pass's store: claim due rows, and record what became of each, durably and at once.

A row moves queued -> sending (claimed, with claimed_at) -> sent / queued again (retry)
/ failed / suppressed / cancelled. Every change is its own short transaction, so a pass
killed at any point leaves at most the one message in flight unrecorded. Here, and only
here, the outbox is written by the dispatch pass; queueing is service/delivery/queueing.py.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, delete, select, update
from sqlalchemy.orm import Session

from service.delivery.database import begin_write, is_postgres
from service.delivery.pg_marks import Deferred
from service.delivery.policy import LEASE, gives_up, retry_delay
from service.mail.bounces import summary
from service.models import Delivery, DeliveryStatus, IssueStatus, Lane, NewsletterIssue, SendingHold
from service.subscriptions.suppression import suppress

# While held, passes send nothing; then one pass tries again (and holds again if refused).
HOLD = timedelta(minutes=15)
_QUIET = {"synchronize_session": False}


def reclaim_abandoned(session: Session, now: datetime) -> int:
    """Put rows claimed longer than the lease ago back in the queue: their pass died."""
    begin_write(session)
    result = session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < now - LEASE)
        .values(status=DeliveryStatus.QUEUED, claimed_at=None).execution_options(**_QUIET)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def claim(session: Session, now: datetime, limit: int, lanes: Collection[Lane]) -> list[int]:
    """Mark up to `limit` due rows as ours (`sending`), lowest lane first, in one statement.

    WITH due AS (SELECT … FOR UPDATE SKIP LOCKED) UPDATE … FROM due … RETURNING:
    on PostgreSQL concurrent passes take disjoint rows; on SQLite BEGIN IMMEDIATE makes
    claims take turns. The outer status check means no row is ever claimed twice.

    `lanes` is a run of neighbouring lanes, asked for as a range: then ix_delivery_claim
    (status, lane, next_attempt_at, id) yields the rows in claim order and the scan stops
    after `limit` of them. Asked for as IN (…), PostgreSQL sorts every queued row instead,
    tens of milliseconds per claim behind a 100,000-row newsletter.
    """
    lowest, highest = min(lanes), max(lanes)
    if len(set(lanes)) != highest - lowest + 1:
        raise ValueError(f"a claim takes neighbouring lanes, not {sorted(lanes)}")
    begin_write(session)
    due = (
        select(Delivery.id)
        .where(Delivery.status == DeliveryStatus.QUEUED,
               Delivery.lane.between(int(lowest), int(highest)),
               Delivery.next_attempt_at <= now)
        .order_by(Delivery.lane, Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if is_postgres(session):
        due = due.with_for_update(skip_locked=True)
    # A materialised CTE runs the LIMITed, locking SELECT exactly once; as an IN (subquery)
    # PostgreSQL may run it again per row and claim more than `limit` rows.
    chosen = due.cte("due").prefix_with("MATERIALIZED", dialect="postgresql")
    claimed = list(session.scalars(
        update(Delivery)
        .where(Delivery.id == chosen.c.id, Delivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.SENDING, claimed_at=now)
        .returning(Delivery.id).execution_options(**_QUIET)
    ).all())
    session.commit()
    return claimed


def release(session: Session, ids: Sequence[int]) -> None:
    """Give claimed rows back untouched (the pass is stopping or SMTP is unreachable)."""
    if not ids:
        return
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(ids)), Delivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.QUEUED, claimed_at=None).execution_options(**_QUIET)
    )
    session.commit()


_MARK_SENT = (
    update(Delivery)
    .where(Delivery.id == bindparam("b_id"))
    .values(
        status=DeliveryStatus.SENT, sent_at=bindparam("b_sent_at"),
        attempts=Delivery.attempts + 1, revision_id=bindparam("b_revision_id"),
        message_id=bindparam("b_message_id"), smtp_reply=None,
    )
)

_ISSUE_STATUS = select(NewsletterIssue.status).where(NewsletterIssue.id == bindparam("b_id"))
# A newsletter's mark also reads its issue's status, in the same round trip: a stop is
# seen before the connection's next message of that issue.
_MARK_SENT_NEWSLETTER = _MARK_SENT.returning(
    select(NewsletterIssue.status).where(NewsletterIssue.id == Delivery.newsletter_issue_id)
    .scalar_subquery())
_ENDED = (IssueStatus.STOPPED, IssueStatus.CANCELLED, None)


class SentMarks:
    """Records "sent" for one sending thread: one autocommitted UPDATE per message.

    The mark is what prevents a repeat, so it is in the database before the next message's
    content goes. Its own connection in autocommit makes it one round trip (no BEGIN /
    COMMIT). On PostgreSQL that round trip overlaps the next message's envelope: the
    UPDATE goes out (`flush`) while the server answers that message's MAIL FROM, or as
    soon as the sending thread has nothing to send, and its answer is read in `may_send`,
    just before that message's DATA (pg_marks.Deferred). Also on PostgreSQL,
    synchronous_commit is off for this connection only: the commit is still atomic and
    survives a killed dispatch process; a PostgreSQL server crash can lose the last few
    hundred milliseconds of marks, and those messages then go again, the trade SQLite's
    synchronous=NORMAL already makes (service/delivery/database.py). The setting is reset
    before the connection goes back to the pool, so it reaches nothing else.
    """

    def __init__(self, engine: Engine) -> None:
        self.connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.postgres = self.connection.dialect.name == "postgresql"
        self.issues: dict[int, bool] = {}  # newsletter issue -> stopped, as last read
        self._deferred: Deferred | None = None
        self._unsent: tuple[str, dict[str, Any]] | None = None  # the mark `flush` sends
        self._awaited_issue: int | None = None  # the issue whose status the mark returns
        if self.postgres:
            self.connection.exec_driver_sql("SET synchronous_commit = off")
            driver = self.connection.connection.driver_connection
            self._deferred = Deferred(driver, {"sent": _MARK_SENT,  # type: ignore[arg-type]
                                               "newsletter": _MARK_SENT_NEWSLETTER})

    def record_sent(self, delivery: Delivery, revision_id: int | None, message_id: str,
                    now: datetime) -> None:
        """The message left: say so durably, before the next message's content goes."""
        values = {"b_id": delivery.id, "b_sent_at": now, "b_revision_id": revision_id,
                  "b_message_id": message_id[:255]}
        issue_id = delivery.newsletter_issue_id
        newsletter = issue_id is not None and delivery.subscriber_id is not None
        if self._deferred is not None:
            self.settle()
            self._unsent = ("newsletter" if newsletter else "sent", values)
            self._awaited_issue = issue_id if newsletter else None
            return
        result = self.connection.execute(
            _MARK_SENT_NEWSLETTER if newsletter else _MARK_SENT, values)
        if issue_id is not None and newsletter:
            self.issues[issue_id] = result.scalar() in _ENDED

    def flush(self) -> None:
        """Send the mark recorded last, if it has not gone yet (PostgreSQL); no waiting.

        Sending it makes PostgreSQL's backend busy at once, which costs the sending thread
        a moment: done while the mail server works on something of ours, it costs nothing.
        """
        if self._deferred is not None and self._unsent is not None:
            key, values = self._unsent
            self._unsent = None
            self._deferred.send(key, values)

    def settle(self) -> None:
        """Read back the mark recorded last (PostgreSQL): raises if it did not take."""
        self.flush()
        if self._deferred is None or not self._deferred.outstanding:
            return
        status = self._deferred.answer()
        if self._awaited_issue is not None:
            self.issues[self._awaited_issue] = status in _ENDED
        self._awaited_issue = None

    def may_send(self, delivery: Delivery) -> bool:
        """Just before a message's content goes: the previous mark is in, and the message's
        newsletter issue (if it is one) was not stopped."""
        self.settle()
        if delivery.newsletter_issue_id is None or delivery.subscriber_id is None:
            return True
        return not self.issue_stopped(delivery.newsletter_issue_id)

    def issue_stopped(self, issue_id: int) -> bool:
        """Whether a newsletter issue was stopped (or cancelled), as this connection last
        read it: once, then with every mark of one of its messages (no extra round trip)."""
        self.settle()
        if issue_id not in self.issues:
            status = self.connection.execute(_ISSUE_STATUS, {"b_id": issue_id}).scalar()
            self.issues[issue_id] = status in _ENDED
        return self.issues[issue_id]

    def close(self, settle: bool = True) -> None:
        """Give the connection back as it was; one that cannot be reset is discarded.

        With `settle`, a last mark that did not take raises here."""
        try:
            if self._deferred is not None:
                self.flush()  # the message went, whatever happens next
                if settle:
                    self.settle()
                self._deferred.close()
            if self.postgres:
                self.connection.exec_driver_sql("RESET synchronous_commit")
        except Exception:  # a broken connection: never pool it with the setting on
            self.connection.invalidate()
            if settle:
                raise
        finally:
            self.connection.close()

    def __enter__(self) -> SentMarks:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close(settle=kind is None)  # an error already on its way is the one to see


def _close(session: Session, delivery: Delivery, status: str, reply: str,
           attempted: bool) -> None:
    session.execute(
        update(Delivery).where(Delivery.id == delivery.id)
        .values(status=status, smtp_reply=reply[:500], claimed_at=None,
                attempts=Delivery.attempts + (1 if attempted else 0))
        .execution_options(**_QUIET)
    )


def record_retry(session: Session, delivery: Delivery, reply: str, now: datetime) -> bool:
    """A transient failure: retry later with backoff, or give up. True if it will retry."""
    attempts = delivery.attempts + 1
    retrying = not gives_up(attempts)
    session.execute(
        update(Delivery).where(Delivery.id == delivery.id)
        .values(
            status=DeliveryStatus.QUEUED if retrying else DeliveryStatus.FAILED,
            attempts=attempts, smtp_reply=reply[:500], claimed_at=None,
            next_attempt_at=now + retry_delay(attempts, random.random()),
        ).execution_options(**_QUIET)
    )
    session.commit()
    return retrying


def record_failed(session: Session, delivery: Delivery, reply: str) -> None:
    """Refused for this message only (policy, DATA, size): it will never go; nobody else pays."""
    _close(session, delivery, DeliveryStatus.FAILED, reply, attempted=True)
    session.commit()


def record_suppressed(session: Session, secret_key: str, delivery: Delivery,
                      code: int | None, reply: str, now: datetime) -> None:
    """The mailbox was refused for good: suppress the address, cancel its queue."""
    _close(session, delivery, DeliveryStatus.SUPPRESSED, f"{code} {reply}", attempted=True)
    if delivery.subscriber_id is not None:
        suppress(session, secret_key, delivery.subscriber_id, code, reply, now)
    session.commit()


def record_skipped(session: Session, delivery: Delivery, status: str, reason: str) -> None:
    """A row that must not go (unsubscribed, suppressed, lesson unpublished): close it."""
    _close(session, delivery, status, reason, attempted=False)
    session.commit()


def hold(session: Session, code: int | None, reply: str, now: datetime) -> None:
    """Stop sending until HOLD from now: the server refuses our mail for policy reasons.

    Only the code and enhanced status are kept (shown by /healthz): the text may quote
    a recipient's address.
    """
    session.execute(delete(SendingHold))
    session.add(SendingHold(id=1, reply=summary(code, reply), held_at=now, until=now + HOLD))
    session.commit()


def current_hold(session: Session, now: datetime) -> SendingHold | None:
    """The hold in force at `now`, if any."""
    found = session.get(SendingHold, 1)
    return found if found is not None and found.until > now else None


def end_hold(session: Session) -> None:
    """Mail went through again: forget the hold."""
    if session.get(SendingHold, 1) is not None:
        session.execute(delete(SendingHold))
        session.commit()
