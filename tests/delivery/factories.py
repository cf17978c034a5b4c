"""Rows for delivery tests: a short course and confirmed, enrolled subscribers."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from service.models import Enrolment, Lesson, LessonRevision, Subscriber, SubscriberStatus


def add_lesson(session: Session, position: int, subject: str, delay_days: int = 1) -> Lesson:
    """A published lesson (revision 1) at `position`."""
    lesson = Lesson(slug=f"lesson-{position}", position=position, published_number=1)
    body = f"Body of lesson {position}: gentle movement helps many people with sciatica."
    lesson.revisions.append(LessonRevision(
        number=1, subject=subject, preheader=f"Preheader {position}", delay_days=delay_days,
        body=body, sources=[], content_hash=hashlib.sha256(body.encode()).hexdigest(),
    ))
    session.add(lesson)
    session.flush()
    return lesson


def publish_edit(session: Session, lesson: Lesson, subject: str) -> LessonRevision:
    """Publish a new revision of `lesson` with a new subject."""
    number = max(r.number for r in lesson.revisions) + 1
    body = f"Edited body {number}: what the newest evidence says."
    revision = LessonRevision(
        number=number, subject=subject, preheader="Edited", delay_days=1, body=body,
        sources=[], content_hash=hashlib.sha256(body.encode()).hexdigest(),
    )
    lesson.revisions.append(revision)
    lesson.published_number = number
    session.flush()
    return revision


def add_course(session: Session, count: int = 3) -> list[Lesson]:
    return [add_lesson(session, n, f"Lesson {n} subject") for n in range(1, count + 1)]


def add_subscriber(
    session: Session, email: str, now: datetime, *, zone: str = "America/Chicago",
    send_hour: int = 9, enrolled: bool = True, weekdays_only: bool = False,
) -> Subscriber:
    """An active (confirmed) subscriber, enrolled with lesson 1 due at `now`."""
    subscriber = Subscriber(
        email=email, first_name="Pat", timezone=zone, send_hour=send_hour,
        status=SubscriberStatus.ACTIVE, confirmed_at=now, created_at=now,
        weekdays_only=weekdays_only,
    )
    session.add(subscriber)
    session.flush()
    if enrolled:
        session.add(Enrolment(subscriber_id=subscriber.id, started_at=now, next_due_at=now))
        session.flush()
    return subscriber


def seed_subscribers(session: Session, count: int, now: datetime, prefix: str = "p", *,
                     newsletter: bool = False, enrolled: bool = True) -> list[str]:
    """`count` active subscribers with lesson 1 due at `now` (unless not `enrolled`), inserted
    in bulk; their emails."""
    from sqlalchemy import insert

    from service.models.subscriber import new_public_id

    emails = [f"{prefix}{n}@example.com" for n in range(count)]
    ids = session.scalars(
        insert(Subscriber.__table__).returning(Subscriber.__table__.c.id,
                                               sort_by_parameter_order=True),
        [{"email": e, "public_id": new_public_id(), "first_name": "Pat",
          "timezone": "America/Chicago", "send_hour": 9, "weekdays_only": False,
          "status": "active", "course_enabled": True, "newsletter_enabled": newsletter,
          "paused": False, "created_at": now, "confirmed_at": now} for e in emails],
    ).all()
    if enrolled:
        session.execute(insert(Enrolment.__table__), [
            {"subscriber_id": i, "last_position_sent": 0, "round": 1, "next_due_at": now,
             "started_at": now} for i in ids])
    return emails
