"""A newsletter issue: its text, its review, its schedule, and where its sending stands.

The operations live in service/newsletter/ (issues, schedule, fanout); the outbox rows
of an issue are Delivery rows with newsletter_issue_id set.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, utcnow


class IssueStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"  # its text trips a health check: waiting for clinical sign-off
    SCHEDULED = "scheduled"  # waiting for its time; the dispatch pass queues it when due
    SENDING = "sending"  # fanned out to the outbox; the worker is sending it
    SENT = "sent"  # nothing of it is left to send
    CANCELLED = "cancelled"  # taken back before anything went
    STOPPED = "stopped"  # stopped while sending: what went stays sent, nothing more goes


class ScheduleMode(StrEnum):
    NOW = "now"
    CLINIC_TIME = "clinic_time"  # one instant: a date and time in the clinic's zone
    SUBSCRIBER_HOUR = "subscriber_hour"  # on `send_day`, at each subscriber's own send hour


class NewsletterIssue(Base):
    __tablename__ = "newsletter_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The archive address /newsletter/<slug>; set when the issue is first sent, then fixed.
    slug: Mapped[str | None] = mapped_column(String(90), unique=True)
    subject: Mapped[str] = mapped_column(String(120))
    preheader: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)  # Markdown
    status: Mapped[str] = mapped_column(String(12), default=IssueStatus.DRAFT, index=True)
    # Those still in the course get it too (otherwise only those who finished or left it).
    include_course: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Clinical sign-off: asked for when the text trips the health checks.
    submitted_by: Mapped[str | None] = mapped_column(String(120))
    submitted_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(120))
    approved_at: Mapped[datetime | None]
    approved_hash: Mapped[str | None] = mapped_column(String(64))  # the text signed off
    # A clinician who sent it back to its author instead, and why (cleared on resubmit).
    returned_by: Mapped[str | None] = mapped_column(String(120))
    review_comment: Mapped[str | None] = mapped_column(Text)
    schedule_mode: Mapped[str | None] = mapped_column(String(16))
    send_at: Mapped[datetime | None]  # NOW and CLINIC_TIME: the instant (UTC)
    send_day: Mapped[date | None]  # SUBSCRIBER_HOUR: the date, in each subscriber's zone
    scheduled_at: Mapped[datetime | None]
    # When it was first fanned out to the outbox.
    sent_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]  # sent, stopped or cancelled
    audience_size: Mapped[int] = mapped_column(default=0)  # rows queued so far
