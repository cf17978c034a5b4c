"""Importing lesson files as revisions, and exporting the published course back to files."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from service.course.content import dump_lesson, lesson_paths, load_lessons
from service.course.importer import export_lessons, import_lessons
from service.course.outline import course_places
from service.extensions import db
from service.models import Lesson, LessonRevision

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
COURSE = len(lesson_paths(ROOT / "lessons"))  # 11 since the second edition
# The first edition's nine lessons, by slug and order; the second renumbers two of them.
FIRST_EDITION = {
    "what-is-sciatica": 1, "causes": 2, "how-massage-helps": 3, "techniques": 4,
    "your-session": 5, "stretching-and-self-care": 6, "other-care": 7,
    "when-to-see-a-doctor": 8, "recap-and-next-steps": 9,
}


def copy_course(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    shutil.copytree(ROOT / "lessons", folder)
    return folder


def revision_count() -> int:
    return db.session.scalar(select(func.count()).select_from(LessonRevision)) or 0


def test_import_creates_published_lessons_in_order(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        summary = import_lessons(db.session, ROOT / "lessons", NOW)
        db.session.commit()
        lessons = db.session.scalars(select(Lesson).order_by(Lesson.position)).all()
        assert len(summary.created) == len(lessons) == COURSE == 11
        assert lessons[0].slug == "what-is-sciatica"
        first = lessons[0].published
        assert first is not None and first.number == 1
        assert first.subject == "What sciatica is, in plain words"
        assert first.sources and first.created_at == NOW


def test_importing_twice_changes_nothing(app: Flask) -> None:
    with app.app_context():
        import_lessons(db.session, ROOT / "lessons", NOW)
        db.session.commit()
        again = import_lessons(db.session, ROOT / "lessons", NOW + timedelta(hours=1))
        db.session.commit()
        assert not again.changed
        assert len(again.unchanged) == COURSE
        assert revision_count() == COURSE


def test_an_edit_becomes_a_new_published_revision(app: Flask, tmp_path: Path) -> None:
    folder = copy_course(tmp_path)
    with app.app_context():
        import_lessons(db.session, folder, NOW)
        db.session.commit()
        path = folder / "02-causes.md"
        path.write_text(path.read_text() + "\nLast time you learned the basics.\n")
        summary = import_lessons(db.session, folder, NOW + timedelta(days=1))
        db.session.commit()
        assert summary.updated == ["causes"] and len(summary.unchanged) == COURSE - 1
        lesson = db.session.scalars(select(Lesson).where(Lesson.slug == "causes")).one()
        assert [r.number for r in lesson.revisions] == [1, 2]
        assert lesson.published_number == 2
        assert "Last time you learned" in lesson.published.body  # type: ignore[union-attr]
        assert "Last time you learned" not in lesson.revisions[0].body


def test_a_new_order_moves_the_lesson_without_a_new_revision(app: Flask, tmp_path: Path) -> None:
    folder = copy_course(tmp_path)
    with app.app_context():
        import_lessons(db.session, folder, NOW)
        db.session.commit()
        path = folder / "11-recap-and-next-steps.md"
        path.write_text(path.read_text().replace("order: 11", "order: 12"))
        summary = import_lessons(db.session, folder, NOW)
        db.session.commit()
        assert summary.moved == ["recap-and-next-steps"] and not summary.updated
        assert revision_count() == COURSE


def test_export_round_trips_to_the_same_files_and_hashes(app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    with app.app_context():
        import_lessons(db.session, ROOT / "lessons", NOW)
        db.session.commit()
        hashes = set(db.session.scalars(select(LessonRevision.content_hash)))
        written = export_lessons(db.session, out)
        assert [p.name for p in written] == [p.name for p in lesson_paths(ROOT / "lessons")]
        for path in written:
            assert path.read_text() == (ROOT / "lessons" / path.name).read_text()
        again = import_lessons(db.session, out, NOW)
        assert not again.changed
        assert set(db.session.scalars(select(LessonRevision.content_hash))) == hashes


def test_the_second_edition_renumbers_and_adds_lessons(app: Flask, tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    for lesson in load_lessons(ROOT / "lessons"):
        if lesson.slug in FIRST_EDITION:
            old = replace(lesson, order=FIRST_EDITION[lesson.slug])
            (first / f"{old.order:02d}-{old.slug}.md").write_text(dump_lesson(old))
    with app.app_context():
        import_lessons(db.session, first, NOW)
        db.session.commit()
        places = course_places(db.session)
        assert {p.total for p in places.values()} == {9}
        summary = import_lessons(db.session, ROOT / "lessons", NOW + timedelta(days=1))
        db.session.commit()
        assert summary.created == ["medicines-scans-and-recovery", "everyday-life-and-flare-ups"]
        assert summary.moved == ["when-to-see-a-doctor", "recap-and-next-steps"]
        assert not summary.updated  # moving a lesson does not change what it says
        lessons = db.session.scalars(select(Lesson).order_by(Lesson.position)).all()
        assert [lesson.position for lesson in lessons] == list(range(1, 12))
        places = course_places(db.session)
        by_slug = {lesson.slug: places[lesson.id] for lesson in lessons}
        assert by_slug["when-to-see-a-doctor"].label == "Lesson 10 of 11"
        assert by_slug["everyday-life-and-flare-ups"].next_subject == lessons[9].published.subject  # type: ignore[union-attr]
        assert by_slug["recap-and-next-steps"].next_subject is None
