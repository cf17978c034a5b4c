"""Lessons and their revisions, and each subscriber's place in the course."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, utcnow

if TYPE_CHECKING:
    from service.models.staff import Staff


class RevisionStatus(StrEnum):
    DRAFT = "draft"  # being written; only its author's colleagues see it
    IN_REVIEW = "in_review"  # submitted: waiting for a clinician
    PUBLISHED = "published"  # approved (or imported) and made the lesson's text at some time
    REJECTED = "rejected"  # sent back by a reviewer with a comment


class Lesson(Base):
    __tablename__ = "lesson"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(index=True)
    # The revision subscribers get; None until one is published.
    published_number: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Retired lessons stay on record but leave the course: nobody is sent them any more.
    retired_at: Mapped[datetime | None]
    # Whether emails of this lesson show the approving reviewer's "Reviewed by" line.
    show_review_credit: Mapped[bool] = mapped_column(default=True)

    revisions: Mapped[list[LessonRevision]] = relationship(
        back_populates="lesson", order_by="LessonRevision.number", cascade="all, delete-orphan"
    )

    @property
    def in_course(self) -> bool:
        """Whether subscribers are sent this lesson: published and not retired."""
        return self.published_number is not None and self.retired_at is None

    @property
    def latest(self) -> LessonRevision | None:
        return self.revisions[-1] if self.revisions else None

    @property
    def published(self) -> LessonRevision | None:
        for revision in self.revisions:
            if revision.number == self.published_number:
                return revision
        return None


class LessonRevision(Base):
    __tablename__ = "lesson_revision"
    __table_args__ = (UniqueConstraint("lesson_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"))
    number: Mapped[int]
    subject: Mapped[str] = mapped_column(String(120))
    preheader: Mapped[str] = mapped_column(String(200), default="")
    delay_days: Mapped[int] = mapped_column(default=1)
    body: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The author's name as shown in the history ("lessons import" for the command).
    created_by: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default=RevisionStatus.DRAFT)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]  # when a reviewer approved it or sent it back
    approved_at: Mapped[datetime | None]
    review_comment: Mapped[str] = mapped_column(Text, default="")
    # "Reviewed by NAME, CREDENTIALS, DATE" as the email shows it, fixed at approval;
    # empty when the reviewer does not sign reviews or nobody reviewed it.
    review_credit: Mapped[str] = mapped_column(String(300), default="")
    # For a rollback: the number of the revision whose text it restores.
    restored_from: Mapped[int | None]

    lesson: Mapped[Lesson] = relationship(back_populates="revisions")

    author: Mapped[Staff | None] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[Staff | None] = relationship(foreign_keys=[reviewer_id])

    @property
    def signoff(self) -> str:
        """The "Reviewed by" line its email carries: the credit, unless the lesson hides it."""
        return self.review_credit if self.lesson.show_review_credit else ""


class Enrolment(Base):
    """Where one subscriber is in the course; `next_due_at` is NULL when nothing is scheduled.

    The dispatch pass finds work through the index on `next_due_at`, so its cost follows
    the mail that is due, not the number of subscribers.
    """

    __tablename__ = "enrolment"

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), primary_key=True
    )
    last_position_sent: Mapped[int] = mapped_column(default=0)
    # Starts at 1; each restart of the course adds one (see Delivery's unique key).
    round: Mapped[int] = mapped_column(default=1)
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the last lesson was queued (it leaves moments later); the schedule counts from it.
    last_sent_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
