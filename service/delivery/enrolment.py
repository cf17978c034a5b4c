"""Putting a subscriber into the course and keeping their next due time right.

Every function here takes a session and only flushes; the request or command commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from service.course.schedule import held_until, is_deliverable, next_lesson_due, next_slot
from service.delivery.queueing import cancel_queued, queue_lesson
from service.models import Enrolment, Lane, Lesson, LessonRevision, Subscriber


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


class Start(StrEnum):
    """What confirming (or restarting) did about the course."""

    QUEUED = "queued"  # lesson 1 is in the outbox
    WAITING = "waiting"  # no lesson is published yet: lesson 1 goes once one is
    FINISHED = "finished"  # they had completed the course: nothing queued, restart offered
    NEWSLETTER_ONLY = "newsletter_only"  # they chose the newsletter only: no course at all


def _queue_first_lesson(
    session: Session, plan: CoursePlan, subscriber: Subscriber, enrolment: Enrolment,
    now: datetime,
) -> Start:
    """Queue lesson 1 now, as the pass would; with no lesson published, wait for one."""
    first = plan.after(0)
    if first is None:
        enrolment.next_due_at = now  # due already: the first pass after publishing sends it
        session.flush()
        return Start.WAITING
    queue_lesson(session, subscriber.id, first.lesson_id, enrolment.round, now)
    enrolment.last_position_sent = first.position
    enrolment.last_sent_at = now  # the schedule counts from here, as in due_lessons
    enrolment.next_due_at = due_after_sending(plan, subscriber, first.position, now, now)
    enrolment.completed_at = now if enrolment.next_due_at is None else None
    session.flush()
    return Start.QUEUED


def enrol(session: Session, subscriber: Subscriber, now: datetime) -> Start:
    """Put a newly confirmed subscriber into the course. Flushes only.

    New: lesson 1 is queued now (or waits for the first published lesson). Back after
    leaving: the course starts again from lesson 1, unless they had finished it; then
    nothing is queued and the page offers a restart.
    """
    enrolment = session.get(Enrolment, subscriber.id)
    if enrolment is None:
        enrolment = Enrolment(subscriber_id=subscriber.id, started_at=now, last_position_sent=0,
                              round=1)
        session.add(enrolment)
        session.flush()
        return _queue_first_lesson(session, CoursePlan.load(session), subscriber, enrolment, now)
    if enrolment.completed_at is not None:
        enrolment.next_due_at = None
        session.flush()
        return Start.FINISHED
    return restart(session, subscriber, now)


def reschedule(session: Session, subscriber: Subscriber, now: datetime) -> Enrolment | None:
    """Recompute the next due time after a preference or status change. Flushes only.

    Paused, course off, unsubscribed or suppressed: nothing is due (next_due_at NULL) and
    unsent queued lessons are taken back. Otherwise the next lesson is due at the send hour
    its gap asks for, counted from the last lesson sent, and never in the past, nor before
    a pause-until ends (a lesson queued before such a pause is taken back to wait too);
    with none sent and none published yet, lesson 1 stays due, waiting for one.
    """
    enrolment = session.get(Enrolment, subscriber.id)
    if enrolment is None:
        return None
    plan = CoursePlan.load(session)
    held = held_until(subscriber.paused_until, now)
    if held is not None or not is_deliverable(
        subscriber.status, subscriber.paused, subscriber.course_enabled
    ):
        cancel_queued(session, subscriber.id, {Lane.LESSONS})
        session.refresh(enrolment)
    if not is_deliverable(subscriber.status, subscriber.paused, subscriber.course_enabled):
        enrolment.next_due_at = None
    elif plan.after(enrolment.last_position_sent) is None:
        enrolment.next_due_at = now if enrolment.last_position_sent == 0 else None
    elif enrolment.last_position_sent == 0 or enrolment.last_sent_at is None:
        # Lesson 1 (or a first lesson never sent) goes at once, or at the end of the pause.
        enrolment.next_due_at = now if held is None else next_slot(
            held, subscriber.send_hour, subscriber.timezone, subscriber.weekdays_only)
    else:
        enrolment.next_due_at = due_after_sending(
            plan, subscriber, enrolment.last_position_sent, enrolment.last_sent_at, held or now
        )
    session.flush()
    return enrolment


def restart(session: Session, subscriber: Subscriber, now: datetime) -> Start:
    """Start the course again from lesson 1, queued now, as a new round. Flushes only.

    Lessons still queued from the earlier round are taken back; those sent stay on record.
    """
    enrolment = session.get(Enrolment, subscriber.id)
    if enrolment is None:
        return enrol(session, subscriber, now)
    cancel_queued(session, subscriber.id, {Lane.LESSONS})
    session.refresh(enrolment)
    enrolment.round += 1
    enrolment.last_position_sent = 0
    enrolment.started_at = now
    enrolment.last_sent_at = None
    enrolment.completed_at = None
    enrolment.next_due_at = None
    session.flush()
    if not is_deliverable(subscriber.status, subscriber.paused, subscriber.course_enabled):
        return Start.WAITING
    return _queue_first_lesson(session, CoursePlan.load(session), subscriber, enrolment, now)
