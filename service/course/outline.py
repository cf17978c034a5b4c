"""Where each published lesson stands in the course ("Lesson N of M", the next subject)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, object_session

from service.mail.render import Place, places
from service.models import Lesson, LessonRevision

MEMO = "course_places"


def course_places(session: Session) -> dict[int, Place]:
    """The Place of every published lesson, by lesson id, in one query."""
    rows = session.execute(
        select(Lesson.id, LessonRevision.subject)
        .join(LessonRevision, and_(LessonRevision.lesson_id == Lesson.id,
                                   LessonRevision.number == Lesson.published_number))
        .order_by(Lesson.position, Lesson.id)
    ).all()
    outline = places([subject for _, subject in rows])
    return {lesson_id: place for (lesson_id, _), place in zip(rows, outline, strict=True)}


def place_of(revision: Any) -> Place | None:
    """The Place of a revision's lesson, read once per transaction of its session.

    None for a revision outside any session (a draft, a preview) or no longer published.
    Within one transaction the course does not change under us, so every message composed
    in it shares one read; the next transaction reads again.
    """
    session = object_session(revision)
    if session is None:
        return None
    transaction = session.get_transaction()
    memo = session.info.get(MEMO)
    if transaction is None or memo is None or memo[0] is not transaction:
        found = course_places(session)
        session.info[MEMO] = (session.get_transaction(), found)
    else:
        found = memo[1]
    return found.get(revision.lesson_id)
