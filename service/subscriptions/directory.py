"""Finding subscribers for the admin: search, filters and keyset pagination.

Pages are keyed on the subscriber id (newest first): a page is `id < before` (or
`id > after`, read backwards) with a LIMIT, so the hundredth page costs what the first does
and rows added meanwhile never shift a page. No total is counted for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from service.models import Enrolment, Subscriber, SubscriberStatus

PAGE_SIZE = 50


class Standing(StrEnum):
    """Where a subscriber stands, as staff speak of it (status plus pause and progress)."""

    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    UNSUBSCRIBED = "unsubscribed"
    SUPPRESSED = "suppressed"


def standing(subscriber: Subscriber, enrolment: Enrolment | None) -> Standing:
    """The one word the list and the patient page show for this subscriber."""
    if subscriber.status != SubscriberStatus.ACTIVE:
        return Standing(subscriber.status)
    if subscriber.paused:
        return Standing.PAUSED
    if enrolment is not None and enrolment.completed_at is not None:
        return Standing.COMPLETED
    return Standing.ACTIVE


def _standing_clause(chosen: Standing) -> object:
    active = Subscriber.status == SubscriberStatus.ACTIVE
    if chosen == Standing.PAUSED:
        return and_(active, Subscriber.paused.is_(True))
    if chosen == Standing.COMPLETED:
        return and_(active, Subscriber.paused.is_(False), Enrolment.completed_at.is_not(None))
    if chosen == Standing.ACTIVE:
        return and_(active, Subscriber.paused.is_(False), Enrolment.completed_at.is_(None))
    return Subscriber.status == chosen.value


@dataclass(frozen=True)
class Filters:
    query: str = ""
    standing: Standing | None = None
    lesson: int | None = None  # the position of the last lesson sent (0: none yet)


@dataclass(frozen=True)
class Page:
    rows: list[tuple[Subscriber, Enrolment | None]]
    newer: int | None  # pass as `after` for the page before this one
    older: int | None  # pass as `before` for the page after this one


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(filters: Filters) -> Any:  # a Select of (Subscriber, Enrolment | None)
    query = select(Subscriber, Enrolment).outerjoin(
        Enrolment, Enrolment.subscriber_id == Subscriber.id
    )
    if text := filters.query.strip().lower():
        pattern = f"%{_escape_like(text)}%"
        query = query.where(or_(
            func.lower(Subscriber.email).like(pattern, escape="\\"),
            func.lower(Subscriber.first_name).like(pattern, escape="\\"),
        ))
    if filters.standing is not None:
        query = query.where(_standing_clause(filters.standing))  # type: ignore[arg-type]
    if filters.lesson is not None:
        query = query.where(func.coalesce(Enrolment.last_position_sent, 0) == filters.lesson)
    return query


def find_page(
    session: Session, filters: Filters, *, before: int | None = None, after: int | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of matching subscribers, newest first, after or before a cursor."""
    query = _filtered(filters)
    if after is not None:
        query = query.where(Subscriber.id > after).order_by(Subscriber.id.asc())
    else:
        if before is not None:
            query = query.where(Subscriber.id < before)
        query = query.order_by(Subscriber.id.desc())
    found = [(row[0], row[1]) for row in session.execute(query.limit(size + 1)).all()]
    more = len(found) > size
    found = found[:size]
    if after is not None:
        found.reverse()
    if not found:
        return Page([], None, None)
    first, last = found[0][0].id, found[-1][0].id
    has_newer = after is not None and more or before is not None
    has_older = after is not None or more
    return Page(found, first if has_newer else None, last if has_older else None)
