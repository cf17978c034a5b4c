"""Rows for newsletter tests: subscribers in every state the audience rule cares about."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from service.extensions import db
from service.models import Enrolment, NewsletterIssue, Subscriber, SubscriberStatus
from service.newsletter import issues


def person(session: Session, email: str, now: datetime, *, newsletter: bool = True,
           course: str = "off", status: str = SubscriberStatus.ACTIVE, zone: str =
           "America/Chicago", hour: int = 9, paused: bool = False,
           paused_days: int = 0) -> Subscriber:
    """A subscriber; `course` is "off" (newsletter only), "in" (still in it) or "done"."""
    subscriber = Subscriber(
        email=email, first_name="Pat", timezone=zone, send_hour=hour, status=status,
        course_enabled=course != "off", newsletter_enabled=newsletter, paused=paused,
        paused_until=now + timedelta(days=paused_days) if paused_days else None,
        confirmed_at=now, created_at=now)
    session.add(subscriber)
    session.flush()
    if course != "off":
        session.add(Enrolment(subscriber_id=subscriber.id, started_at=now,
                              last_position_sent=3 if course == "done" else 1,
                              completed_at=now if course == "done" else None))
        session.flush()
    return subscriber


def draft(session: Session, now: datetime, subject: str = "Winter news",
          body: str = "We now open at 8 on Saturdays.", **options: bool) -> NewsletterIssue:
    return issues.create_issue(session, subject, "Longer Saturdays", body, now, "Dana",
                               **options)


def stored_issue(app: Flask, issue_id: int) -> NewsletterIssue:
    """The issue as stored now, detached."""
    with app.app_context():
        found = db.session.get(NewsletterIssue, issue_id)
        assert found is not None
        db.session.expunge(found)
        return found
