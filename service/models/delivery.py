"""The outbox: one row per message to send, of every kind, and what became of it.

Each kind has its own unique key, so queueing the same message twice adds nothing:
a lesson by (subscriber, lesson, round), a newsletter by (subscriber, issue), and
transactional mail by its idempotency key. Rows are served by lane: transactional mail
first, then lessons, then newsletters, so a large newsletter never delays a confirmation.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, utcnow


class MessageKind(StrEnum):
    CONFIRMATION = "confirmation"
    ALREADY_SUBSCRIBED = "already_subscribed"
    TEST = "test"  # a staff member's test send of a lesson or an issue, to their own address
    LESSON = "lesson"
    NEWSLETTER = "newsletter"


class Lane(IntEnum):
    """Served in this order by every claim: a lower lane always goes first."""

    TRANSACTIONAL = 0
    LESSONS = 1
    NEWSLETTERS = 2


LANE_OF = {
    MessageKind.CONFIRMATION: Lane.TRANSACTIONAL,
    MessageKind.ALREADY_SUBSCRIBED: Lane.TRANSACTIONAL,
    MessageKind.TEST: Lane.TRANSACTIONAL,
    MessageKind.LESSON: Lane.LESSONS,
    MessageKind.NEWSLETTER: Lane.NEWSLETTERS,
}


def _lane_of_kind(context: Any) -> int:
    """A row added without a lane gets its kind's (the queueing functions set it anyway)."""
    kind = context.get_current_parameters().get("kind")
    return int(LANE_OF.get(kind, Lane.TRANSACTIONAL))


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # waiting for next_attempt_at (first try or a retry)
    SENDING = "sending"  # claimed by a pass; claimed_at says since when
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry, or refused for the message (policy)
    SUPPRESSED = "suppressed"  # the mailbox was refused for good, or the address is suppressed
    CANCELLED = "cancelled"  # no longer wanted (unsubscribed before it left)


class Delivery(Base):
    __tablename__ = "delivery"
    # The database enforces each kind's key. NULLs never clash, so each constraint binds
    # only the rows of its kind. A course restart starts a new round, so the history of the
    # earlier one stays visible.
    __table_args__ = (
        UniqueConstraint("subscriber_id", "lesson_id", "round"),
        UniqueConstraint("subscriber_id", "newsletter_issue_id"),
        UniqueConstraint("idempotency_key"),
        # The claim: queued rows, lowest lane first, oldest due first, in the claim's
        # own order (id last), so a claim reads only the rows it takes.
        Index("ix_delivery_claim", "status", "lane", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL only for a test send to a staff address (to_address).
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str | None] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(20))
    lane: Mapped[int] = mapped_column(default=_lane_of_kind)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id", ondelete="SET NULL"))
    # For lessons: resolved when the message is composed, so it names the revision sent.
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson_revision.id", ondelete="SET NULL")
    )
    round: Mapped[int] = mapped_column(default=1)
    newsletter_issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("newsletter_issue.id", ondelete="CASCADE")
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    smtp_reply: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SendingHold(Base):
    """Sending stopped because the mail server refused our mail for policy reasons.

    One row at most (id 1). Passes send nothing until `until`; /healthz shows it.
    """

    __tablename__ = "sending_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    reply: Mapped[str] = mapped_column(String(500))
    held_at: Mapped[datetime]
    until: Mapped[datetime]
