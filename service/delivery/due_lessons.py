"""Turning due enrolments into outbox rows, in batches, through the index on next_due_at."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from service.course.schedule import is_deliverable, next_lesson_due
from service.delivery.database import begin_write, is_postgres
from service.delivery.enrolment import CoursePlan
from service.delivery.queueing import queue_lessons
from service.models import Enrolment, Subscriber

BATCH = 1000
# One executemany per batch (on the connection: plain parameter sets, not ORM objects).
_UPDATE_ENROLMENT = (
    update(Enrolment)
    .where(Enrolment.subscriber_id == bindparam("b_id"))
    .values(
        next_due_at=bindparam("next_due_at"),
        last_position_sent=bindparam("last_position_sent"),
        completed_at=bindparam("completed_at"),
        last_sent_at=bindparam("last_sent_at"),
    )
)


def _due_batch(session: Session, now: datetime) -> list[Any]:
    query = (
        select(
            Enrolment.subscriber_id, Enrolment.last_position_sent, Enrolment.round,
            Enrolment.completed_at, Enrolment.last_sent_at,
            Subscriber.status, Subscriber.paused, Subscriber.course_enabled,
            Subscriber.timezone, Subscriber.send_hour, Subscriber.weekdays_only,
        )
        .join(Subscriber, Subscriber.id == Enrolment.subscriber_id)
        .where(Enrolment.next_due_at <= now)
        .order_by(Enrolment.next_due_at)
        .limit(BATCH)
    )
    if is_postgres(session):
        # Two passes at once each take different enrolments and never wait for each other.
        query = query.with_for_update(skip_locked=True, of=Enrolment)
    return list(session.execute(query).all())


def _plan_row(
    plan: CoursePlan, row: Row[Any], now: datetime
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """For one due enrolment: the delivery to insert (if any) and the enrolment update."""
    update_values: dict[str, Any] = {
        "b_id": row.subscriber_id, "next_due_at": None,
        "last_position_sent": row.last_position_sent, "completed_at": row.completed_at,
        "last_sent_at": row.last_sent_at,
    }
    if not is_deliverable(row.status, row.paused, row.course_enabled):
        # Not ours to send to: clear the due time so later passes do not look at it again.
        return None, update_values
    lesson = plan.after(row.last_position_sent)
    if lesson is None:
        update_values["completed_at"] = now
        return None, update_values
    delivery = {"subscriber_id": row.subscriber_id, "lesson_id": lesson.lesson_id,
                "round": row.round}
    update_values["last_position_sent"] = lesson.position
    update_values["last_sent_at"] = now  # the schedule counts from here (see reschedule)
    following = plan.after(lesson.position)
    if following is None:
        update_values["completed_at"] = now
    else:
        update_values["next_due_at"] = _next_due(row, following.delay_days, now)
    return delivery, update_values


def _next_due(row: Row[Any], delay_days: int, now: datetime) -> datetime:
    """The following lesson's due time; a zone this machine lacks falls back to UTC.

    One bad row must not stop every pass (the forms and the import only accept known zones,
    but tzdata can change under a running deployment).
    """
    try:
        return next_lesson_due(now, now, delay_days, row.send_hour, row.timezone,
                               row.weekdays_only)
    except (ZoneInfoNotFoundError, ValueError):
        return next_lesson_due(now, now, delay_days, row.send_hour, "UTC", row.weekdays_only)


def queue_due_lessons(
    session: Session,
    now: datetime,
    *,
    stop: threading.Event | None = None,
) -> int:
    """Queue the next lesson of every enrolment due at `now`; commits each batch.

    Memory stays bounded by BATCH: rows are plain tuples and dictionaries, never ORM objects.
    Returns how many lessons were queued.
    """
    plan = CoursePlan.load(session)
    session.rollback()
    if not plan.lessons:
        # Nothing is published yet: enrolments stay due, untouched, and get lesson 1 on the
        # first pass after one is (none is marked completed for a course that is not there).
        return 0
    queued = 0
    while not (stop and stop.is_set()):
        begin_write(session)
        rows = _due_batch(session, now)
        if not rows:
            session.commit()
            break
        deliveries, updates = [], []
        for row in rows:
            delivery, values = _plan_row(plan, row, now)
            if delivery:
                deliveries.append(delivery)
            updates.append(values)
        queue_lessons(session, deliveries, now)
        session.connection().execute(_UPDATE_ENROLMENT, updates)
        session.commit()
        queued += len(deliveries)
    return queued
