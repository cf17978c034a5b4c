"""Where a subscriber is in the course, read from their enrolment, and said in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from service.course.schedule import held_until
from service.delivery.enrolment import CoursePlan
from service.models import Enrolment, Subscriber
from service.subscriptions.timezones import day, when


@dataclass(frozen=True)
class CourseProgress:
    """Lessons done of the total, the next one and when it goes (as dispatch will send it)."""

    total: int
    done: int
    next_number: int | None  # 1-based, None when the course is finished
    next_at: datetime | None  # the enrolment's next_due_at: what dispatch reads
    paused: bool  # until they resume
    paused_until: datetime | None  # a pause still running, that ends by itself
    course_enabled: bool


def course_progress(session: Session, subscriber: Subscriber, now: datetime) -> CourseProgress:
    """The progress of one subscriber (not yet enrolled: nothing done, lesson 1 next)."""
    plan = CoursePlan.load(session)
    enrolment = session.get(Enrolment, subscriber.id)
    last = enrolment.last_position_sent if enrolment else 0
    following = plan.after(last)
    return CourseProgress(
        total=len(plan.lessons),
        done=sum(1 for lesson in plan.lessons if lesson.position <= last),
        next_number=plan.lessons.index(following) + 1 if following else None,
        next_at=enrolment.next_due_at if enrolment else None,
        paused=subscriber.paused,
        paused_until=held_until(subscriber.paused_until, now),
        course_enabled=subscriber.course_enabled,
    )


def describe(progress: CourseProgress, zone: str, locale: str, now: datetime) -> tuple[str, str]:
    """Two sentences: what is done, and what comes next ("Lesson 4 of 9 done.", "Next: …")."""
    total, number = progress.total, progress.next_number
    if number is None:
        return f"You have had all {total} lessons.", "There are no more lessons to come."
    done = f"Lesson {progress.done} of {total} done." if progress.done else (
        f"The course has {total} lessons.")
    if not progress.course_enabled:
        return done, f"The course is off: turn it on below to get lesson {number}."
    if progress.paused:
        return done, f"Paused: lesson {number} waits until you resume."
    if progress.paused_until is not None and progress.next_at is not None:
        until = day(progress.paused_until, zone, locale)
        return done, (f"Paused until {until}. Next: lesson {number}, "
                      f"{when(progress.next_at, zone, locale, now)}.")
    if progress.next_at is None:
        return done, f"Next: lesson {number}."
    if progress.next_at <= now:
        return done, f"Next: lesson {number}, on its way now."
    return done, f"Next: lesson {number}, {when(progress.next_at, zone, locale, now)}."
