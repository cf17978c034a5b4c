"""The queueing API other code calls: each kind's key makes queueing idempotent, test sends
reach a staff address, and cancel_queued takes back only what it is asked to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from service.delivery.dispatch import run_transactional_pass
from service.delivery.queueing import (
    cancel_queued,
    queue_lesson,
    queue_newsletter,
    queue_test,
    queue_transactional,
)
from service.extensions import db
from service.models import Delivery, Enrolment, Lane, MessageKind, NewsletterIssue, utcnow
from tests.conftest import make_app
from tests.delivery.factories import add_course, add_subscriber
from tests.smtp_server import SMTPServer


@pytest.fixture
def mail_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _rows(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
        return [(d.kind, d.status) for d in rows]


def test_each_kind_is_queued_once_per_key(mail_app: Flask) -> None:
    now = utcnow()
    with mail_app.app_context():
        [lesson] = add_course(db.session, 1)
        ann = add_subscriber(db.session, "ann@example.com", now)
        ann.newsletter_enabled = True
        issue = NewsletterIssue(subject="News", body="Hello")
        db.session.add(issue)
        db.session.flush()
        kind = MessageKind.ALREADY_SUBSCRIBED
        assert queue_transactional(db.session, ann, kind, now, key="k1") is True
        assert queue_transactional(db.session, ann, kind, now, key="k1") is False
        assert queue_test(db.session, "ed@calmhands.example", now, key="t1",
                          newsletter_issue_id=issue.id) is True
        assert queue_test(db.session, "ed@calmhands.example", now, key="t1",
                          newsletter_issue_id=issue.id) is False
        for _ in range(2):
            queue_lesson(db.session, ann.id, lesson.id, 1, now)
        assert [queue_newsletter(db.session, issue, now) for _ in range(2)] == [1, 0]
        with pytest.raises(ValueError):
            queue_test(db.session, "ed@calmhands.example", now)
        with pytest.raises(ValueError):
            queue_transactional(db.session, ann, MessageKind.LESSON, now)
        db.session.commit()
    assert sorted(_rows(mail_app)) == sorted([
        ("already_subscribed", "queued"), ("test", "queued"), ("lesson", "queued"),
        ("newsletter", "queued")])


def test_a_test_send_of_a_draft_reaches_the_staff_address_marked_as_a_test(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    with mail_app.app_context():
        [lesson] = add_course(db.session, 1)
        queue_test(db.session, "ed@calmhands.example", utcnow(),
                   revision_id=lesson.revisions[0].id)
        db.session.commit()

    assert run_transactional_pass(mail_app, utcnow()).sent == 1
    [message] = smtp_server.messages_to("ed@calmhands.example")
    assert message["Subject"] == "[Test] Lesson 1 subject"


def test_cancel_queued_takes_back_only_the_lanes_named_and_rewinds_the_course(
    mail_app: Flask,
) -> None:
    now = utcnow()
    with mail_app.app_context():
        lesson_one, _ = add_course(db.session, 2)
        ann = add_subscriber(db.session, "ann@example.com", now)
        ann.newsletter_enabled = True
        issue = NewsletterIssue(subject="News", body="Hello")
        db.session.add(issue)
        enrolment = db.session.get(Enrolment, ann.id)
        assert enrolment is not None
        queue_lesson(db.session, ann.id, lesson_one.id, 1, now)
        enrolment.last_position_sent = 1  # as the pass records a lesson it queued
        queue_newsletter(db.session, issue, now)
        queue_transactional(db.session, ann, MessageKind.ALREADY_SUBSCRIBED, now)
        db.session.commit()

        assert cancel_queued(db.session, ann.id, {Lane.NEWSLETTERS}) == 1
        assert cancel_queued(db.session, ann.id, {Lane.LESSONS}) == 1
        db.session.commit()
        assert db.session.get(Enrolment, ann.id).last_position_sent == 0  # type: ignore[union-attr]
    assert sorted(_rows(mail_app)) == [("already_subscribed", "queued"),
                                       ("newsletter", "cancelled")]
