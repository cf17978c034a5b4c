"""Clinical sign-off as operations: drafts, submission, approval, sending back, rollback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from service.course import lineup, review, revisions
from service.course.revisions import Fields
from service.extensions import db
from service.mail.render import ClinicSettings
from service.models import AuditEntry, Lesson, Staff
from service.models.course import RevisionStatus
from service.staff import accounts
from tests.web.conftest import load_course

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def course(app: Flask) -> Iterator[Flask]:
    load_course(app)
    with app.app_context():
        accounts.create(db.session, None, "ed@clinic.example", PASSWORD, "editor",
                        display_name="Ed Editor")
        accounts.create(db.session, None, "ana@clinic.example", PASSWORD, "reviewer",
                        display_name="Ana Ruiz", is_clinician=True, credentials="DPT")
        accounts.create(db.session, None, "rita@clinic.example", PASSWORD, "reviewer",
                        display_name="Rita", is_clinician=False)
        db.session.commit()
        yield app


def staff(email: str) -> Staff:
    found = accounts.find(db.session, email)
    assert found is not None
    return found


def settings(app: Flask) -> ClinicSettings:
    return ClinicSettings.from_config(app.config)


def techniques() -> Lesson:
    lesson = lineup.get_lesson(db.session, "techniques")
    assert lesson is not None
    return lesson


def edited(lesson: Lesson, old: str, new: str) -> Fields:
    fields = revisions.fields_of(lesson.published)
    assert old in fields.body
    return Fields(fields.subject, fields.preheader, fields.delay_days,
                  fields.body.replace(old, new, 1), fields.sources)


def submitted(app: Flask, fields: Fields) -> int:
    lesson = techniques()
    draft = review.save_draft(db.session, lesson, fields, staff("ed@clinic.example"), NOW)
    assert draft is not None and draft.status == RevisionStatus.DRAFT
    review.submit(db.session, lesson, staff("ed@clinic.example"), NOW + timedelta(minutes=1))
    db.session.commit()
    return draft.number


def first_line(lesson: Lesson) -> str:
    return lesson.published.body.splitlines()[0]


def test_approval_publishes_and_records_who_and_when(course: Flask) -> None:
    lesson = techniques()
    before = lesson.published_number
    number = submitted(course, edited(lesson, first_line(lesson), "A fixed first line."))
    assert techniques().published_number == before, "submitting publishes nothing"
    revision = review.approve(db.session, techniques(), number, staff("ana@clinic.example"),
                              NOW + timedelta(hours=1), settings(course),
                              seen_hash=revisions.find(techniques(), number).content_hash,
                              zone="America/Chicago")
    db.session.commit()
    lesson = techniques()
    assert lesson.published_number == number
    assert lesson.published.body.startswith("A fixed first line.")
    assert revision.status == RevisionStatus.PUBLISHED
    assert revision.reviewer.email == "ana@clinic.example"
    assert revision.approved_at == NOW + timedelta(hours=1)
    assert revision.author.email == "ed@clinic.example"
    assert revision.submitted_at == NOW + timedelta(minutes=1)
    assert revision.review_credit == "Reviewed by Ana Ruiz, DPT, December 1, 2026"
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == ["lesson.save_draft", "lesson.submit", "lesson.approve"]


@pytest.mark.parametrize("email", ["ed@clinic.example", "rita@clinic.example"])
def test_only_a_clinician_reviewer_can_approve(course: Flask, email: str) -> None:
    lesson = techniques()
    number = submitted(course, edited(lesson, first_line(lesson), "Changed."))
    with pytest.raises(review.NotAllowed):
        review.approve(db.session, techniques(), number, staff(email), NOW, settings(course),
                       seen_hash=revisions.find(techniques(), number).content_hash)
    assert techniques().published_number != number


def test_a_failing_draft_cannot_be_published_by_anyone(course: Flask) -> None:
    lesson = techniques()
    number = submitted(course, edited(lesson, first_line(lesson),
                                      "Massage will cure your sciatica, guaranteed."))
    published = techniques().published_number
    with pytest.raises(review.NotPublishable, match="cure"):
        review.approve(db.session, techniques(), number, staff("ana@clinic.example"), NOW,
                       settings(course),
                       seen_hash=revisions.find(techniques(), number).content_hash)
    db.session.rollback()
    assert techniques().published_number == published
    assert revisions.find(techniques(), number).status == RevisionStatus.IN_REVIEW


def test_approval_refuses_text_edited_after_the_reviewer_opened_it(course: Flask) -> None:
    lesson = techniques()
    number = submitted(course, edited(lesson, first_line(lesson), "First version."))
    seen = revisions.find(techniques(), number).content_hash
    review.save_draft(db.session, techniques(), edited(techniques(), first_line(techniques()),
                                                       "Second version."),
                      staff("ed@clinic.example"), NOW)
    review.submit(db.session, techniques(), staff("ed@clinic.example"), NOW)
    with pytest.raises(review.StaleReview):
        review.approve(db.session, techniques(), number, staff("ana@clinic.example"), NOW,
                       settings(course), seen_hash=seen)


def test_send_back_needs_a_comment_and_keeps_it(course: Flask) -> None:
    lesson = techniques()
    number = submitted(course, edited(lesson, first_line(lesson), "Too strong a claim."))
    with pytest.raises(review.ServiceError, match="Say what needs to change"):
        review.send_back(db.session, techniques(), number, staff("ana@clinic.example"), "  ",
                         NOW)
    revision = review.send_back(db.session, techniques(), number, staff("ana@clinic.example"),
                                "Soften the second sentence.", NOW + timedelta(hours=2))
    db.session.commit()
    assert revision.status == RevisionStatus.REJECTED
    assert revision.review_comment == "Soften the second sentence."
    assert revision.reviewer.email == "ana@clinic.example"
    assert revision.reviewed_at == NOW + timedelta(hours=2)
    assert revisions.status_label(techniques()) == "published"


def test_rollback_restores_the_exact_earlier_text(course: Flask) -> None:
    lesson = techniques()
    original = revisions.fields_of(lesson.published)
    number = submitted(course, edited(lesson, first_line(lesson), "A newer first line."))
    review.approve(db.session, techniques(), number, staff("ana@clinic.example"), NOW,
                   settings(course), seen_hash=revisions.find(techniques(), number).content_hash)
    db.session.commit()
    # The imported text was never clinically reviewed, so rolling back to it goes to review.
    restored = review.rollback(db.session, techniques(), 1, staff("ana@clinic.example"), NOW,
                               settings(course))
    assert restored.status == RevisionStatus.IN_REVIEW
    assert techniques().published_number == number
    review.approve(db.session, techniques(), restored.number, staff("ana@clinic.example"),
                   NOW, settings(course), seen_hash=restored.content_hash)
    db.session.commit()
    assert revisions.fields_of(techniques().published) == original
    assert techniques().published.restored_from == 1
    # Back to the clinically approved revision: a clinician publishes it at once.
    again = review.rollback(db.session, techniques(), number, staff("ana@clinic.example"),
                            NOW + timedelta(days=1), settings(course))
    db.session.commit()
    assert again.status == RevisionStatus.PUBLISHED
    assert techniques().published.body == revisions.find(techniques(), number).body


def test_an_editors_rollback_waits_for_review(course: Flask) -> None:
    lesson = techniques()
    number = submitted(course, edited(lesson, first_line(lesson), "A newer first line."))
    review.approve(db.session, techniques(), number, staff("ana@clinic.example"), NOW,
                   settings(course), seen_hash=revisions.find(techniques(), number).content_hash)
    restored = review.rollback(db.session, techniques(), 1, staff("ed@clinic.example"), NOW,
                               settings(course))
    assert restored.status == RevisionStatus.IN_REVIEW
    assert techniques().published_number == number


def test_saving_unchanged_text_adds_no_revision(course: Flask) -> None:
    lesson = techniques()
    count = len(lesson.revisions)
    same = revisions.fields_of(lesson.published)
    assert review.save_draft(db.session, lesson, same, staff("ed@clinic.example"), NOW) is None
    assert len(techniques().revisions) == count
