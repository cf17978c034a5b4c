"""A newsletter issue: what the outbox fans out to every subscriber who wants it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, utcnow


class IssueStatus(StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"  # fanned out to the outbox; the worker is sending it


class NewsletterIssue(Base):
    __tablename__ = "newsletter_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(120))
    preheader: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)  # Markdown
    status: Mapped[str] = mapped_column(String(12), default=IssueStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it was fanned out to the outbox.
    sent_at: Mapped[datetime | None]
