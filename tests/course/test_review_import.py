"""Files and admin stay reconcilable: a failing file becomes a draft and publishes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from service.course import revisions
from service.course.content import file_name, lesson_paths, parse_lesson
from service.course.lineup import get_lesson
from service.extensions import db
from service.models import Lesson, LessonRevision
from service.models.course import RevisionStatus

ROOT = Path(__file__).resolve().parents[2]
CLAIM = "Massage cures sciatica for good, guaranteed.\n\n"


def course_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    shutil.copytree(ROOT / "lessons", folder)
    return folder


def published(app: Flask) -> dict[str, int | None]:
    with app.app_context():
        return {lesson.slug: lesson.published_number
                for lesson in db.session.scalars(select(Lesson))}


def count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LessonRevision)) or 0


def test_a_changed_file_that_fails_becomes_a_draft_and_exits_non_zero(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = course_copy(tmp_path)
    assert runner.invoke(args=["lessons", "import", str(folder)]).exit_code == 0
    before = published(app)
    bad = folder / "04-techniques.md"
    bad.write_text(bad.read_text().replace("\n---\n", "\n---\n" + CLAIM, 1))
    fine = folder / "02-causes.md"
    text = fine.read_text()
    assert "In lesson 1 you learned" in text
    fine.write_text(text.replace("In lesson 1 you learned", "In the first lesson you learned"))

    result = runner.invoke(args=["lessons", "import", str(folder)])

    assert result.exit_code == 1, result.output
    assert "draft: techniques (revision 2) fails the check" in result.output
    assert "'cures'" in result.output
    assert "not published (another file failed): causes" in result.output
    assert published(app) == before, "nothing is published while a changed file fails"
    with app.app_context():
        lesson = get_lesson(db.session, "techniques")
        assert lesson is not None and lesson.latest is not None
        assert lesson.latest.status == RevisionStatus.DRAFT
        assert lesson.latest.body.startswith(CLAIM.strip())
        assert revisions.status_label(lesson) == "draft"
    # Running it again reports the same draft and adds nothing.
    total = count(app)
    again = runner.invoke(args=["lessons", "import", str(folder)])
    assert again.exit_code == 1 and count(app) == total


def test_a_new_file_that_fails_is_a_lesson_with_a_draft_only(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = course_copy(tmp_path)
    assert runner.invoke(args=["lessons", "import", str(folder)]).exit_code == 0
    text = (folder / "11-recap-and-next-steps.md").read_text()
    new = text.replace("order: 11", "order: 12").replace("slug: recap-and-next-steps",
                                                         "slug: extra-lesson")
    (folder / "12-extra-lesson.md").write_text(new.replace("\n---\n", "\n---\n" + CLAIM, 1))
    result = runner.invoke(args=["lessons", "import", str(folder)])
    assert result.exit_code == 1
    with app.app_context():
        lesson = get_lesson(db.session, "extra-lesson")
        assert lesson is not None and lesson.published_number is None
        assert not lesson.in_course


def test_unchanged_files_change_nothing_and_export_writes_what_is_published(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = course_copy(tmp_path)
    assert runner.invoke(args=["lessons", "import", str(folder)]).exit_code == 0
    total = count(app)
    result = runner.invoke(args=["lessons", "import", str(folder)])
    assert result.exit_code == 0 and "0 created, 0 updated, 11 unchanged" in result.output
    assert count(app) == total
    # A draft in the admin is not what subscribers get, so export leaves it out.
    with app.app_context():
        lesson = get_lesson(db.session, "techniques")
        assert lesson is not None
        draft = revisions.Fields("Draft subject", "", 1, "Draft text.\n", ("A source",))
        revisions.add_revision(lesson, draft, lesson.created_at, status=RevisionStatus.DRAFT,
                               created_by="test")
        db.session.commit()
    out = tmp_path / "exported"
    assert runner.invoke(args=["lessons", "export", str(out)]).exit_code == 0
    exported = parse_lesson((out / "04-techniques.md").read_text(), "04-techniques.md")
    assert exported.subject != "Draft subject"
    assert exported.content_hash == parse_lesson(
        (folder / "04-techniques.md").read_text(), "x").content_hash
    assert sorted(p.name for p in out.glob("*.md")) == sorted(
        file_name(parse_lesson(p.read_text(), p.name)) for p in lesson_paths(folder))
