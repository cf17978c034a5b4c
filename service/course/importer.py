"""Load the course from lesson files as new published revisions, and write it back to files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.course.content import LessonFile, dump_lesson, file_name, load_lessons
from service.models import Lesson, LessonRevision

IMPORTED_BY = "lessons import"


@dataclass
class ImportSummary:
    """What an import changed, by slug."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.moved)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)


def _new_revision(lesson: Lesson, source: LessonFile, now: datetime) -> LessonRevision:
    number = max((r.number for r in lesson.revisions), default=0) + 1
    revision = LessonRevision(
        number=number,
        subject=source.subject,
        preheader=source.preheader,
        delay_days=source.delay_days,
        body=source.body,
        sources=list(source.sources),
        content_hash=source.content_hash,
        created_at=now,
        created_by=IMPORTED_BY,
    )
    lesson.revisions.append(revision)
    lesson.published_number = number
    return revision


def import_lessons(session: Session, directory: str | Path, now: datetime) -> ImportSummary:
    """Create or update each lesson as a new published revision; unchanged ones stay as they are.

    Flushes only; the caller commits. Lessons in the database but not in the folder are kept.
    """
    summary = ImportSummary()
    sources = load_lessons(directory)
    existing = {
        lesson.slug: lesson
        for lesson in session.scalars(
            select(Lesson).where(Lesson.slug.in_([s.slug for s in sources]))
        )
    }
    for source in sources:
        lesson = existing.get(source.slug)
        if lesson is None:
            lesson = Lesson(slug=source.slug, position=source.order, created_at=now)
            session.add(lesson)
            _new_revision(lesson, source, now)
            summary.created.append(source.slug)
            continue
        if lesson.position != source.order:
            lesson.position = source.order
            summary.moved.append(source.slug)
        published = lesson.published
        if published is not None and published.content_hash == source.content_hash:
            summary.unchanged.append(source.slug)
        else:
            _new_revision(lesson, source, now)
            summary.updated.append(source.slug)
    session.flush()
    return summary


def published_lessons(session: Session) -> list[tuple[Lesson, LessonRevision]]:
    """Every lesson with a published revision, in course order."""
    lessons = session.scalars(select(Lesson).order_by(Lesson.position, Lesson.id))
    return [(lesson, lesson.published) for lesson in lessons if lesson.published is not None]


def as_file(lesson: Lesson, revision: LessonRevision) -> LessonFile:
    """A published lesson as the file that would import to the same content hash."""
    return LessonFile(
        name=f"{lesson.slug}.md",
        order=lesson.position,
        slug=lesson.slug,
        subject=revision.subject,
        preheader=revision.preheader,
        delay_days=revision.delay_days,
        sources=tuple(revision.sources or ()),
        body=revision.body,
    )


def export_lessons(session: Session, directory: str | Path) -> list[Path]:
    """Write the published course as lesson files into `directory`; returns the paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for lesson, revision in published_lessons(session):
        source = as_file(lesson, revision)
        path = folder / file_name(source)
        path.write_text(dump_lesson(source), encoding="utf-8")
        written.append(path)
    return written
