"""Where an issue's sending stands, and what came of it. No open or click tracking.

- `progress(session, issue) -> Progress`: sent, queued, failed, out of how many (the bar).
- `results(session, issue) -> Results`: sent, failed, bounced, and unsubscribes in the
  7 days after it was first sent (from all mail, or from the newsletter only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from service.models import Delivery, DeliveryStatus, NewsletterIssue, Subscriber

AFTER = timedelta(days=7)


@dataclass(frozen=True)
class Progress:
    sent: int
    queued: int  # waiting, or being handed over right now
    failed: int  # failed, bounced or refused at send time
    total: int

    @property
    def percent(self) -> int:
        return round(100 * (self.sent + self.failed) / self.total) if self.total else 100


@dataclass(frozen=True)
class Results:
    sent: int
    failed: int
    bounced: int
    unsubscribes: int  # recipients who left the newsletter (or all mail) within 7 days


def _by_status(session: Session, issue: NewsletterIssue) -> dict[str, int]:
    rows = session.execute(
        select(Delivery.status, func.count(Delivery.id))
        .where(Delivery.newsletter_issue_id == issue.id, Delivery.subscriber_id.is_not(None))
        .group_by(Delivery.status)).all()
    return {status: count for status, count in rows}


def progress(session: Session, issue: NewsletterIssue) -> Progress:
    """The admin's progress bar while an issue sends."""
    counts = _by_status(session, issue)
    queued = counts.get(DeliveryStatus.QUEUED, 0) + counts.get(DeliveryStatus.SENDING, 0)
    failed = counts.get(DeliveryStatus.FAILED, 0) + counts.get(DeliveryStatus.SUPPRESSED, 0)
    sent = counts.get(DeliveryStatus.SENT, 0)
    return Progress(sent, queued, failed, sent + queued + failed)


def results(session: Session, issue: NewsletterIssue) -> Results:
    """What came of an issue once sent."""
    counts = _by_status(session, issue)
    left = 0
    if issue.sent_at is not None:
        start, end = issue.sent_at, issue.sent_at + AFTER
        left = int(session.scalar(
            select(func.count(Delivery.id))
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Delivery.newsletter_issue_id == issue.id,
                   Delivery.status == DeliveryStatus.SENT,
                   or_(and_(Subscriber.unsubscribed_at >= start, Subscriber.unsubscribed_at < end),
                       and_(Subscriber.newsletter_off_at >= start,
                            Subscriber.newsletter_off_at < end)))) or 0)
    return Results(counts.get(DeliveryStatus.SENT, 0), counts.get(DeliveryStatus.FAILED, 0),
                   counts.get(DeliveryStatus.SUPPRESSED, 0), left)
