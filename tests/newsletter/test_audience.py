"""Who gets an issue: the audience rule, its count before sending, and a repeat-safe fan-out."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from service.extensions import db
from service.models import Delivery, Subscriber
from service.newsletter import fanout, issues, schedule
from tests.newsletter.helpers import draft, person

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def _everyone(app: Flask) -> None:
    with app.app_context():
        s = db.session
        person(s, "only@example.com", NOW)  # newsletter only: gets it
        person(s, "done@example.com", NOW, course="done")  # finished the course: gets it
        person(s, "learning@example.com", NOW, course="in")  # still in the course
        person(s, "off@example.com", NOW, newsletter=False)
        person(s, "left@example.com", NOW, status="unsubscribed")
        person(s, "bounced@example.com", NOW, status="suppressed")
        person(s, "pending@example.com", NOW, status="pending")
        person(s, "paused@example.com", NOW, paused=True)
        person(s, "week@example.com", NOW, paused_days=7)
        s.commit()


def _recipients(app: Flask, issue_id: int) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(
            select(Subscriber.email).join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.newsletter_issue_id == issue_id)))


def test_only_those_who_asked_and_can_get_it_are_counted_and_queued(app: Flask) -> None:
    _everyone(app)
    with app.app_context():
        assert fanout.audience_count(db.session, False, NOW) == 2
        assert fanout.audience_count(db.session, True, NOW) == 3
        issue = draft(db.session, NOW)
        queued = issues.schedule_issue(db.session, issue, schedule.send_now(NOW), NOW)
        db.session.commit()
        assert queued == 2 and issue.status == "sending" and issue.audience_size == 2
        issue_id = issue.id
    assert _recipients(app, issue_id) == {"only@example.com", "done@example.com"}


def test_the_include_course_box_adds_those_still_in_the_course(app: Flask) -> None:
    _everyone(app)
    with app.app_context():
        issue = draft(db.session, NOW, include_course=True)
        issues.schedule_issue(db.session, issue, schedule.send_now(NOW), NOW)
        db.session.commit()
        issue_id = issue.id
    assert _recipients(app, issue_id) == {"only@example.com", "done@example.com",
                                          "learning@example.com"}


def test_queueing_twice_adds_nobody_twice(app: Flask) -> None:
    _everyone(app)
    with app.app_context():
        issue = draft(db.session, NOW)
        issues.schedule_issue(db.session, issue, schedule.send_now(NOW), NOW)
        again = [fanout.queue_issue(db.session, issue, NOW) for _ in range(2)]
        db.session.commit()
        assert again == [0, 0]
        assert db.session.query(Delivery).count() == 2
