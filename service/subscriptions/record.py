"""Everything the admin shows about one subscriber: consent, progress, deliveries, what is next.

Read-only queries; `timeline` replays the dispatch schedule (course/timeline.py) over the
published course as the pass will load it (delivery/enrolment.CoursePlan).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.course.schedule import is_deliverable
from service.course.timeline import forecast
from service.delivery.enrolment import CoursePlan
from service.models import (
    Delivery,
    Enrolment,
    Lesson,
    LessonRevision,
    NewsletterIssue,
    Subscriber,
)


@dataclass(frozen=True)
class SentRow:
    delivery: Delivery
    lesson_position: int | None
    lesson_slug: str | None
    revision_number: int | None
    issue_subject: str | None  # a newsletter delivery's issue (or a test send of one)


@dataclass(frozen=True)
class NextLesson:
    position: int
    subject: str
    at: datetime | None
    overdue: bool  # due already: the next pass sends it


def deliveries(session: Session, subscriber: Subscriber) -> list[SentRow]:
    """Every outbox row for this subscriber, newest first, with the lesson and revision or
    the newsletter issue it carried."""
    rows = session.execute(
        select(Delivery, Lesson.position, Lesson.slug, LessonRevision.number,
               NewsletterIssue.subject)
        .outerjoin(Lesson, Lesson.id == Delivery.lesson_id)
        .outerjoin(LessonRevision, LessonRevision.id == Delivery.revision_id)
        .outerjoin(NewsletterIssue, NewsletterIssue.id == Delivery.newsletter_issue_id)
        .where(Delivery.subscriber_id == subscriber.id)
        .order_by(Delivery.id.desc())
    ).all()
    return [SentRow(*row) for row in rows]


def _subjects(session: Session) -> dict[int, str]:
    rows = session.execute(
        select(Lesson.position, LessonRevision.subject).join(
            LessonRevision,
            (LessonRevision.lesson_id == Lesson.id)
            & (LessonRevision.number == Lesson.published_number),
        )
    ).all()
    return {position: subject for position, subject in rows}


def timeline(
    session: Session, subscriber: Subscriber, enrolment: Enrolment | None, now: datetime
) -> list[NextLesson]:
    """The remaining lessons with the instant each will be queued (None: nothing scheduled)."""
    plan = CoursePlan.load(session)
    subjects = _subjects(session)
    sent = enrolment.last_position_sent if enrolment else 0
    due = enrolment.next_due_at if enrolment else None
    if not is_deliverable(subscriber.status, subscriber.paused, subscriber.course_enabled):
        due = None
    overdue = due is not None and due <= now
    if overdue:
        due = now  # the worker's next pass sends it, and the rest count from then
    steps = forecast(
        [(lesson.position, lesson.delay_days) for lesson in plan.lessons], sent, due,
        subscriber.send_hour, subscriber.timezone, subscriber.weekdays_only,
    )
    return [
        NextLesson(step.position, subjects.get(step.position, ""), step.at, overdue and not i)
        for i, step in enumerate(steps)
    ]
