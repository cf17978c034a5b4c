"""Load the course from lesson files as new revisions, and write the published course back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.course.checking import check_revision
from service.course.content import LessonFile, dump_lesson, file_name, load_lessons
from service.course.revisions import Fields, add_revision
from service.mail.render import ClinicSettings
from service.models import Lesson, LessonRevision
from service.models.course import RevisionStatus

IMPORTED_BY = "lessons import"
# Checks need clinic details only to fill placeholders; callers with an app pass the real ones.
PLACEHOLDER_SETTINGS = ClinicSettings("Clinic", "Address", "Phone", "https://clinic.invalid/",
                                      base_url="https://clinic.invalid")


@dataclass
class ImportSummary:
    """What an import changed, by slug; `drafts` failed the check and were published nowhere."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    drafts: list[tuple[str, int, list[str]]] = field(default_factory=list)  # slug, number, why
    held: list[str] = field(default_factory=list)  # changed and fine, waiting for the others

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.moved)

    @property
    def failed(self) -> bool:
        return bool(self.drafts)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)


def _fields(source: LessonFile) -> Fields:
    return Fields(source.subject, source.preheader, source.delay_days, source.body,
                  tuple(source.sources))


def _keep_draft(session: Session, lesson: Lesson | None, source: LessonFile,
                now: datetime) -> int:
    """Store a failing file as a draft (once: the same text again adds nothing)."""
    if lesson is None:
        lesson = Lesson(slug=source.slug, position=source.order, created_at=now)
        session.add(lesson)
    latest = lesson.latest
    if latest is not None and latest.status == RevisionStatus.DRAFT and \
            latest.content_hash == source.content_hash:
        return latest.number
    return add_revision(lesson, _fields(source), now, status=RevisionStatus.DRAFT,
                        created_by=IMPORTED_BY).number


def _publish(session: Session, lesson: Lesson | None, source: LessonFile,
             now: datetime) -> None:
    if lesson is None:
        lesson = Lesson(slug=source.slug, position=source.order, created_at=now)
        session.add(lesson)
    revision = add_revision(lesson, _fields(source), now, status=RevisionStatus.PUBLISHED,
                            created_by=IMPORTED_BY)
    lesson.published_number = revision.number


def import_lessons(session: Session, directory: str | Path, now: datetime,
                   settings: ClinicSettings | None = None) -> ImportSummary:
    """Publish each new or changed lesson file that passes `lessons check`; unchanged ones
    stay as they are.

    If any changed file fails the check, nothing is published or moved: each failing file
    is kept as a draft (for the admin to fix and send to review) and listed in `drafts`; the
    others wait in `held`. Flushes only; the caller commits. Lessons missing from the folder
    are kept.
    """
    summary = ImportSummary()
    sources = load_lessons(directory)
    existing = {
        lesson.slug: lesson
        for lesson in session.scalars(
            select(Lesson).where(Lesson.slug.in_([s.slug for s in sources]))
        )
    }
    changed: list[tuple[LessonFile, Lesson | None]] = []
    for source in sources:
        lesson = existing.get(source.slug)
        published = lesson.published if lesson is not None else None
        if published is not None and published.content_hash == source.content_hash:
            summary.unchanged.append(source.slug)
        else:
            changed.append((source, lesson))
        if lesson is not None and lesson.position != source.order:
            summary.moved.append(source.slug)
    failing = {}
    for source, _lesson in changed:
        result = check_revision(source.slug, source.order, source,
                                settings or PLACEHOLDER_SETTINGS)
        if not result.ok:
            failing[source.slug] = [finding.message for finding in result.findings]
    if failing:
        for source, lesson in changed:
            if source.slug in failing:
                number = _keep_draft(session, lesson, source, now)
                summary.drafts.append((source.slug, number, failing[source.slug]))
            else:
                summary.held.append(source.slug)
        summary.moved = []
        session.flush()
        return summary
    for source, lesson in changed:
        _publish(session, lesson, source, now)
        (summary.updated if lesson is not None else summary.created).append(source.slug)
    for source in sources:
        lesson = existing.get(source.slug)
        if lesson is not None:
            lesson.position = source.order
    session.flush()
    return summary


def published_lessons(session: Session) -> list[tuple[Lesson, LessonRevision]]:
    """Every lesson in the course (published, not retired), in course order."""
    lessons = session.scalars(select(Lesson).order_by(Lesson.position, Lesson.id))
    return [(lesson, revision) for lesson in lessons
            if lesson.retired_at is None and (revision := lesson.published) is not None]


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
