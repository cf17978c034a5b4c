"""Leaving, changing preferences, exporting and erasing: operations that only flush."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.delivery import enrolment
from service.delivery.queueing import cancel_queued
from service.models import (
    Consent,
    Delivery,
    Enrolment,
    Erasure,
    Lane,
    Lesson,
    LessonRevision,
    Subscriber,
    SubscriberStatus,
)
from service.subscriptions.validation import Preferences


class Scope(StrEnum):
    COURSE = "course"  # leave the course, keep the newsletter if chosen
    ALL = "all"  # stop every email
    NEWSLETTER = "newsletter"  # stop the newsletter, keep the course


def _stop_course_schedule(session: Session, subscriber: Subscriber, now: datetime) -> None:
    # reschedule() sees the new state: it takes queued lessons back into the course (so a
    # later resume sends them) and clears next_due_at.
    enrolment.reschedule(session, subscriber, now)
    row = session.get(Enrolment, subscriber.id)
    if row is not None:
        row.next_due_at = None


def unsubscribe(session: Session, subscriber: Subscriber, scope: Scope, now: datetime) -> None:
    """Stop the course, the newsletter, or every email; doing it twice changes nothing more."""
    if scope == Scope.NEWSLETTER:
        if subscriber.newsletter_enabled:
            subscriber.newsletter_enabled = False
            subscriber.newsletter_off_at = now
        cancel_queued(session, subscriber.id, {Lane.NEWSLETTERS})
    elif scope == Scope.COURSE:
        subscriber.course_enabled = False
        session.flush()
        _stop_course_schedule(session, subscriber, now)
    else:
        if subscriber.status in (SubscriberStatus.ACTIVE, SubscriberStatus.PENDING):
            subscriber.status = SubscriberStatus.UNSUBSCRIBED
            subscriber.unsubscribed_at = now
        for consent in subscriber.consents:
            if consent.withdrawn_at is None:
                consent.withdrawn_at = now
        session.flush()
        _stop_course_schedule(session, subscriber, now)
        cancel_queued(session, subscriber.id)
    session.flush()


def update_preferences(
    session: Session, subscriber: Subscriber, preferences: Preferences, now: datetime
) -> None:
    """Save the preferences page and move the next lesson to match."""
    subscriber.first_name = preferences.first_name
    subscriber.timezone = preferences.timezone
    subscriber.send_hour = preferences.send_hour
    subscriber.course_enabled = preferences.course_enabled
    if subscriber.newsletter_enabled and not preferences.newsletter_enabled:
        subscriber.newsletter_off_at = now
    subscriber.newsletter_enabled = preferences.newsletter_enabled
    subscriber.weekdays_only = preferences.weekdays_only
    session.flush()
    enrolment.reschedule(session, subscriber, now)
    if subscriber.paused or not subscriber.newsletter_enabled:
        cancel_queued(session, subscriber.id, {Lane.NEWSLETTERS})


def pause(
    session: Session, subscriber: Subscriber, until: datetime | None, now: datetime
) -> None:
    """Pause until `until` (the pause then ends by itself), or until they resume (None)."""
    subscriber.paused = until is None
    subscriber.paused_until = until
    session.flush()
    enrolment.reschedule(session, subscriber, now)


def resume(session: Session, subscriber: Subscriber, now: datetime) -> None:
    """End any pause now: the next lesson goes at its next send hour."""
    subscriber.paused = False
    subscriber.paused_until = None
    session.flush()
    enrolment.reschedule(session, subscriber, now)


def restart_course(session: Session, subscriber: Subscriber, now: datetime) -> None:
    """Start the course again from lesson 1 (only for a subscriber who is in it)."""
    if subscriber.status != SubscriberStatus.ACTIVE:
        return
    subscriber.course_enabled = True
    subscriber.paused = False
    subscriber.paused_until = None
    session.flush()
    enrolment.restart(session, subscriber, now)


def revoke_links(session: Session, subscriber: Subscriber) -> None:
    """Switch off every link mailed so far: links carry the epoch, and it moves on.

    Unsubscribe links still stop mail (see service/web/subscriber.py); nothing else opens.
    """
    subscriber.link_epoch += 1
    session.flush()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _columns(row: Any, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every stored column of a row, JSON-ready: a new column is in the download by itself."""
    values: dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.key in leave_out:
            continue
        value = getattr(row, column.key)
        values[column.key] = _iso(value) if isinstance(value, datetime) else value
    return values


def export_data(session: Session, subscriber: Subscriber) -> dict[str, Any]:
    """Everything we hold about one subscriber, as plain JSON-ready data.

    Every column of their rows (only the internal row numbers that link them are left out):
    the record with its public id and suppression reason, each consent, the course
    enrolment and its progress, and each delivery with its Message-ID, SMTP reply and attempts.
    """
    person = _columns(subscriber, ("id",))
    consents = [_columns(c, ("id", "subscriber_id")) for c in subscriber.consents]
    enrolment_row = session.get(Enrolment, subscriber.id)
    rows = session.execute(
        select(Delivery, Lesson.slug, LessonRevision.number)
        .outerjoin(Lesson, Lesson.id == Delivery.lesson_id)
        .outerjoin(LessonRevision, LessonRevision.id == Delivery.revision_id)
        .where(Delivery.subscriber_id == subscriber.id)
        .order_by(Delivery.id)
    ).all()
    deliveries = [
        {**_columns(d, ("subscriber_id",)), "lesson": slug, "revision": number}
        for d, slug, number in rows
    ]
    return {
        "subscriber": person, "consents": consents,
        "enrolment": _columns(enrolment_row, ("subscriber_id",)) if enrolment_row else None,
        "deliveries": deliveries,
    }


def erase(session: Session, subscriber: Subscriber, now: datetime) -> Erasure:
    """Delete a subscriber and all their rows; keep only a count of what went."""
    count = session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.subscriber_id == subscriber.id)
    )
    # Explicit deletes: SQLite enforces ON DELETE CASCADE only with a pragma we cannot assume.
    session.execute(delete(Delivery).where(Delivery.subscriber_id == subscriber.id))
    session.execute(delete(Enrolment).where(Enrolment.subscriber_id == subscriber.id))
    session.execute(delete(Consent).where(Consent.subscriber_id == subscriber.id))
    session.expire(subscriber, ["consents"])  # gone already; the ORM must not delete them again
    session.delete(subscriber)
    erasure = Erasure(erased_at=now, deliveries_erased=count or 0)
    session.add(erasure)
    session.flush()
    return erasure
