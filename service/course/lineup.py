"""The course's line-up: add a lesson, move one up or down, retire or restore one.

Operations take a session, record an audit entry and flush; the caller commits. Positions
are what subscribers' progress is counted in (Enrolment.last_position_sent), so a move
swaps two positions and a retired lesson keeps its place: people who have not reached it
skip it, people past it are unaffected.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from service.course import revisions
from service.course.content import SLUG
from service.course.review import NotAllowed, can_retire
from service.course.revisions import Fields
from service.errors import InvalidInput, ServiceError
from service.models import Lesson, Staff, record
from service.models.course import RevisionStatus

NEW_BODY = "Write the lesson here.\n"


def all_lessons(session: Session) -> list[Lesson]:
    """Every lesson in course order, with its revisions loaded."""
    return list(session.scalars(
        select(Lesson).options(selectinload(Lesson.revisions)).order_by(Lesson.position,
                                                                        Lesson.id)))


def get_lesson(session: Session, slug: str) -> Lesson | None:
    return session.scalar(select(Lesson).where(Lesson.slug == slug))


def add_lesson(session: Session, slug: str, subject: str, staff: Staff,
               now: datetime) -> Lesson:
    """A new lesson at the end of the course, with a first draft; published once approved."""
    slug = slug.strip().lower()
    if not SLUG.match(slug) or len(slug) > 80:
        raise InvalidInput("The short name must be lowercase letters, digits and dashes.")
    if get_lesson(session, slug) is not None:
        raise InvalidInput(f"There is already a lesson called {slug!r}.")
    fields = revisions.parse_fields({"subject": subject, "body": NEW_BODY, "delay_days": "1"})
    last = session.scalar(select(func.max(Lesson.position))) or 0
    lesson = Lesson(slug=slug, position=last + 1, created_at=now)
    session.add(lesson)
    revisions.add_revision(lesson, fields, now, status=RevisionStatus.DRAFT,
                           created_by=staff.name, author_id=staff.id)
    session.flush()
    record(session, staff, "lesson.create", f"lesson:{slug}", after={"subject": subject},
           now=now)
    return lesson


def move(session: Session, lesson: Lesson, direction: int, staff: Staff,
         now: datetime) -> Lesson | None:
    """Swap places with the lesson before (-1) or after (+1); None at either end."""
    neighbour_query = select(Lesson)
    if direction < 0:
        neighbour_query = neighbour_query.where(Lesson.position < lesson.position).order_by(
            Lesson.position.desc())
    else:
        neighbour_query = neighbour_query.where(Lesson.position > lesson.position).order_by(
            Lesson.position)
    neighbour = session.scalar(neighbour_query.limit(1))
    if neighbour is None:
        return None
    before = {lesson.slug: lesson.position, neighbour.slug: neighbour.position}
    lesson.position, neighbour.position = neighbour.position, lesson.position
    session.flush()
    record(session, staff, "lesson.move", f"lesson:{lesson.slug}", before,
           {lesson.slug: lesson.position, neighbour.slug: neighbour.position}, now=now)
    return neighbour


def retire(session: Session, lesson: Lesson, staff: Staff, now: datetime) -> None:
    """Take a lesson out of the course; subscribers who have not had it will skip it."""
    if not can_retire(staff):
        raise NotAllowed("Only a reviewer or an owner can retire a lesson.")
    if lesson.retired_at is not None:
        raise ServiceError("This lesson is already retired.")
    lesson.retired_at = now
    session.flush()
    record(session, staff, "lesson.retire", f"lesson:{lesson.slug}", now=now)


def restore(session: Session, lesson: Lesson, staff: Staff, now: datetime) -> None:
    """Put a retired lesson back; it reaches those who have not yet passed its place."""
    if not can_retire(staff):
        raise NotAllowed("Only a reviewer or an owner can bring a lesson back.")
    if lesson.retired_at is None:
        raise ServiceError("This lesson is not retired.")
    lesson.retired_at = None
    session.flush()
    record(session, staff, "lesson.restore", f"lesson:{lesson.slug}", now=now)


def show_review_credit(session: Session, lesson: Lesson, show: bool, staff: Staff,
                       now: datetime) -> None:
    """Show or hide the "Reviewed by" line in this lesson's emails (on by default)."""
    if not can_retire(staff):
        raise NotAllowed("Only a reviewer or an owner can change the review line.")
    if lesson.show_review_credit == show:
        return
    before = {"show_review_credit": lesson.show_review_credit}
    lesson.show_review_credit = show
    session.flush()
    record(session, staff, "lesson.review_credit", f"lesson:{lesson.slug}", before,
           {"show_review_credit": show}, now=now)


def editable(lesson: Lesson) -> Fields:
    """What the editor opens with: the open draft, else the published text."""
    revision = revisions.open_draft(lesson) or lesson.published or lesson.latest
    assert revision is not None, "a lesson always has a revision"
    return revisions.fields_of(revision)
