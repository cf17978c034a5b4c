"""The outbox: one row per message to send, and what became of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, utcnow


class MessageKind(StrEnum):
    CONFIRMATION = "confirmation"
    ALREADY_SUBSCRIBED = "already_subscribed"
    TEST = "test"  # a staff member's test send of a lesson revision, to their own address
    LESSON = "lesson"
    NEWSLETTER = "newsletter"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # waiting for next_attempt_at (first try or a retry)
    SENDING = "sending"  # claimed by a pass; claimed_at says since when
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry
    SUPPRESSED = "suppressed"  # refused for good (5xx), or the address is suppressed
    CANCELLED = "cancelled"  # no longer wanted (unsubscribed before it left)


class Delivery(Base):
    __tablename__ = "delivery"
    # One lesson reaches one subscriber once per round of the course: the database enforces
    # it. A restart starts a new round, so the history of the earlier one stays visible.
    __table_args__ = (
        UniqueConstraint("subscriber_id", "lesson_id", "round"),
        Index("ix_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL only for a test send to a staff address (to_address).
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str | None] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(20))
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id", ondelete="SET NULL"))
    # For lessons: resolved when the message is composed, so it names the revision sent.
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson_revision.id", ondelete="SET NULL")
    )
    round: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    smtp_reply: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
