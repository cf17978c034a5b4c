"""Putting a subscriber into the course and keeping their next due time right.

Every function here takes a session and only flushes; the request or command commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from service.course.schedule import is_deliverable, next_lesson_due
from service.models import (
    Delivery,
    DeliveryStatus,
    Enrolment,
    Lesson,
    LessonRevision,
    MessageKind,
    Subscriber,
)


@dataclass(frozen=True)
class PlannedLesson:
    lesson_id: int
    position: int
    delay_days: int


class CoursePlan:
    """The published lessons in order, with the gap each one asks for before it."""

    def __init__(self, lessons: list[PlannedLesson]) -> None:
        self.lessons = lessons

    @classmethod
    def load(cls, session: Session) -> CoursePlan:
        """Read the published, unretired course (a few rows) once per pass."""
        rows = session.execute(
            select(Lesson.id, Lesson.position, LessonRevision.delay_days)
            .join(
                LessonRevision,
                and_(
                    LessonRevision.lesson_id == Lesson.id,
                    LessonRevision.number == Lesson.published_number,
                ),
            )
            .where(Lesson.retired_at.is_(None))  # a retired lesson is skipped by everyone
            .order_by(Lesson.position)
        ).all()
        return cls([PlannedLesson(*row) for row in rows])

    def after(self, position: int) -> PlannedLesson | None:
        """The first published lesson after `position`, or None when the course is done."""
        for lesson in self.lessons:
            if lesson.position > position:
                return lesson
        return None

    def position_of(self, lesson_id: int) -> int | None:
        return next((x.position for x in self.lessons if x.lesson_id == lesson_id), None)


def due_after_sending(
    plan: CoursePlan, subscriber: Subscriber, position: int, sent: datetime, now: datetime
) -> datetime | None:
    """When the lesson after `position` is due, given the last one left at `sent`."""
    following = plan.after(position)
    if following is None:
        return None
    return next_lesson_due(
        sent, now, following.delay_days, subscriber.send_hour, subscriber.timezone,
        subscriber.weekdays_only,
    )


def enrol(session: Session, subscriber: Subscriber, now: datetime) -> Enrolment:
    """Enrol a confirmed subscriber: lesson 1 is due right away. Flushes only."""
    enrolment = session.get(Enrolment, subscriber.id)
    if enrolment is None:
        enrolment = Enrolment(
            subscriber_id=subscriber.id, started_at=now, next_due_at=now, last_position_sent=0,
            round=1,
        )
        session.add(enrolment)
        session.flush()
    elif enrolment.next_due_at is None and enrolment.completed_at is None:
        reschedule(session, subscriber, now)
    return enrolment


def _take_back_queued_lessons(session: Session, plan: CoursePlan, enrolment: Enrolment) -> None:
    """Lessons queued but not yet sent return to the course, so a resume sends them next."""
    queued = session.scalars(
        select(Delivery.lesson_id).where(
            Delivery.subscriber_id == enrolment.subscriber_id,
            Delivery.kind == MessageKind.LESSON,
            Delivery.round == enrolment.round,
            Delivery.status == DeliveryStatus.QUEUED,
        )
    ).all()
    positions = [p for p in (plan.position_of(i) for i in queued if i) if p is not None]
    if not positions:
        return
    session.execute(
        delete(Delivery).where(
            Delivery.subscriber_id == enrolment.subscriber_id,
            Delivery.kind == MessageKind.LESSON,
            Delivery.round == enrolment.round,
            Delivery.status == DeliveryStatus.QUEUED,
        )
    )
    enrolment.last_position_sent = min(enrolment.last_position_sent, min(positions) - 1)
    enrolment.completed_at = None


def reschedule(session: Session, subscriber: Subscriber, now: datetime) -> Enrolment | None:
    """Recompute the next due time after a preference or status change. Flushes only.

    Paused, course off, unsubscribed or suppressed: nothing is due (next_due_at NULL) and
    unsent queued lessons are taken back. Otherwise the next lesson is due at the send hour
    its gap asks for, counted from the last lesson sent, and never in the past.
    """
    enrolment = session.get(Enrolment, subscriber.id)
    if enrolment is None:
        return None
    plan = CoursePlan.load(session)
    if not is_deliverable(subscriber.status, subscriber.paused, subscriber.course_enabled):
        _take_back_queued_lessons(session, plan, enrolment)
        enrolment.next_due_at = None
    elif plan.after(enrolment.last_position_sent) is None:
        enrolment.next_due_at = None
    elif enrolment.last_position_sent == 0 or enrolment.last_sent_at is None:
        enrolment.next_due_at = now  # lesson 1 (or a first lesson never sent) goes at once
    else:
        enrolment.next_due_at = due_after_sending(
            plan, subscriber, enrolment.last_position_sent, enrolment.last_sent_at, now
        )
    session.flush()
    return enrolment


def restart(session: Session, subscriber: Subscriber, now: datetime) -> Enrolment:
    """Start the course again from lesson 1, due now, as a new round. Flushes only.

    Lessons still queued from the earlier round are cancelled; those sent stay on record.
    """
    enrolment = session.get(Enrolment, subscriber.id)
    if enrolment is None:
        return enrol(session, subscriber, now)
    session.execute(
        Delivery.__table__.update()
        .where(
            Delivery.subscriber_id == subscriber.id,
            Delivery.kind == MessageKind.LESSON,
            Delivery.status == DeliveryStatus.QUEUED,
        )
        .values(status=DeliveryStatus.CANCELLED)
    )
    enrolment.round += 1
    enrolment.last_position_sent = 0
    enrolment.started_at = now
    enrolment.last_sent_at = None
    enrolment.completed_at = None
    deliverable = is_deliverable(subscriber.status, subscriber.paused, subscriber.course_enabled)
    enrolment.next_due_at = now if deliverable else None
    session.flush()
    return enrolment
