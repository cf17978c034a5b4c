"""Figures for the dashboard: subscribers by status, signups per day, the course funnel.

Aggregates only (no open or click tracking exists, and none is needed for these).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from service.models import (
    Delivery,
    DeliveryStatus,
    Enrolment,
    Lesson,
    LessonRevision,
    MessageKind,
    Subscriber,
    SubscriberStatus,
)
from service.subscriptions.directory import Standing


def counts_by_standing(session: Session) -> dict[Standing, int]:
    """How many subscribers stand where (the list's status filter, in the same words)."""
    active = Subscriber.status == SubscriberStatus.ACTIVE
    label = case(
        (and_(active, Subscriber.paused.is_(True)), Standing.PAUSED.value),
        (and_(active, Enrolment.completed_at.is_not(None)), Standing.COMPLETED.value),
        else_=Subscriber.status,
    )
    rows = session.execute(
        select(label, func.count())
        .select_from(Subscriber)
        .outerjoin(Enrolment, Enrolment.subscriber_id == Subscriber.id)
        .group_by(label)
    ).all()
    found = {Standing(name): count for name, count in rows if name in Standing._value2member_map_}
    return {standing: found.get(standing, 0) for standing in Standing}


@dataclass(frozen=True)
class Day:
    day: date
    signups: int
    confirmations: int


def per_day(session: Session, now: datetime, zone: str, days: int = 90) -> list[Day]:
    """Signups and confirmations for each of the last `days` days (clinic-local dates)."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    signups = Counter(
        at.astimezone(tz).date()
        for at in session.scalars(
            select(Subscriber.created_at).where(Subscriber.created_at >= since)
        )
    )
    confirmations = Counter(
        at.astimezone(tz).date()
        for at in session.scalars(
            select(Subscriber.confirmed_at).where(Subscriber.confirmed_at >= since)
        )
        if at is not None
    )
    return [
        Day(d, signups[d], confirmations[d])
        for d in (first + timedelta(days=i) for i in range(days))
    ]


@dataclass(frozen=True)
class FunnelStep:
    position: int
    subject: str
    received: int  # sent at least once (any round)
    stopped: int  # unsubscribed, or took the course off, with this as their last lesson
    paused: int  # paused with this as their last lesson
    failed: int
    bounced: int  # refused for good by the mail server (suppressed)


def funnel(session: Session) -> list[FunnelStep]:
    """For each lesson: who got it, who left or paused after it, what failed or bounced."""
    lessons = session.execute(
        select(Lesson.id, Lesson.position, LessonRevision.subject)
        .outerjoin(LessonRevision, and_(LessonRevision.lesson_id == Lesson.id,
                                        LessonRevision.number == Lesson.published_number))
        .order_by(Lesson.position)
    ).all()
    by_status = session.execute(
        select(Delivery.lesson_id, Delivery.status,
               func.count(func.distinct(Delivery.subscriber_id)))
        .where(Delivery.kind == MessageKind.LESSON)
        .group_by(Delivery.lesson_id, Delivery.status)
    ).all()
    delivered: dict[tuple[int, str], int] = {
        (lid, st): n for lid, st, n in by_status if lid is not None
    }
    leaving = or_(Subscriber.status == SubscriberStatus.UNSUBSCRIBED,
                  Subscriber.course_enabled.is_(False))
    after = session.execute(
        select(
            Enrolment.last_position_sent,
            func.sum(case((leaving, 1), else_=0)),
            func.sum(case((and_(Subscriber.paused.is_(True), ~leaving), 1), else_=0)),
        )
        .join(Subscriber, Subscriber.id == Enrolment.subscriber_id)
        .group_by(Enrolment.last_position_sent)
    ).all()
    left = {position: (int(s or 0), int(p or 0)) for position, s, p in after}
    return [
        FunnelStep(
            position, subject or "", delivered.get((lesson_id, DeliveryStatus.SENT), 0),
            left.get(position, (0, 0))[0], left.get(position, (0, 0))[1],
            delivered.get((lesson_id, DeliveryStatus.FAILED), 0),
            delivered.get((lesson_id, DeliveryStatus.SUPPRESSED), 0),
        )
        for lesson_id, position, subject in lessons
    ]
