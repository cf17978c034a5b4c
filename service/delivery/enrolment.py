"""Putting a subscriber into the course and keeping their next due time right."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.models import Enrolment, Subscriber


def enrol(session: Session, subscriber: Subscriber, now: datetime) -> Enrolment:
    """Enrol a confirmed subscriber: lesson 1 is due right away. Flushes only."""
    enrolment = session.get(Enrolment, subscriber.id)
    if enrolment is None:
        enrolment = Enrolment(subscriber_id=subscriber.id, started_at=now, next_due_at=now)
        session.add(enrolment)
    session.flush()
    return enrolment
