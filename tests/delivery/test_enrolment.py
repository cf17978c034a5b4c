"""Pause, resume, preference changes and restart, seen in what the subscriber receives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from service.delivery.dispatch import run_pass
from service.delivery.enrolment import enrol, reschedule, restart
from service.extensions import db
from service.models import Delivery, Enrolment, Subscriber
from tests.conftest import make_app
from tests.delivery.factories import add_course, add_subscriber
from tests.smtp_server import SMTPServer

MONDAY_9AM = datetime(2026, 3, 2, 15, tzinfo=UTC)  # 09:00 in Chicago
EMAIL = "pat@example.com"


@pytest.fixture
def mail_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    with app.app_context():
        add_course(db.session, 3)
        add_subscriber(db.session, EMAIL, MONDAY_9AM)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _change(app: Flask, now: datetime, **values: object) -> datetime | None:
    """Apply preference values as the web does, then reschedule; the new next_due_at."""
    with app.app_context():
        subscriber = db.session.scalars(select(Subscriber)).one()
        for name, value in values.items():
            setattr(subscriber, name, value)
        enrolment = reschedule(db.session, subscriber, now)
        db.session.commit()
        return enrolment.next_due_at if enrolment else None


def _subjects(server: SMTPServer) -> list[str]:
    return [str(m["Subject"]) for m in server.messages_to(EMAIL)]


def test_pause_stops_lessons_and_resume_continues_where_they_stopped(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    run_pass(mail_app, MONDAY_9AM)  # lesson 1
    assert _change(mail_app, MONDAY_9AM + timedelta(hours=2), paused=True) is None
    for day in range(1, 4):
        run_pass(mail_app, MONDAY_9AM + timedelta(days=day))
    assert _subjects(smtp_server) == ["Lesson 1 subject"]

    thursday_noon = MONDAY_9AM + timedelta(days=3, hours=3)
    due = _change(mail_app, thursday_noon, paused=False)
    assert due == MONDAY_9AM + timedelta(days=4)  # Friday 09:00, the next send hour
    run_pass(mail_app, MONDAY_9AM + timedelta(days=4))
    assert _subjects(smtp_server) == ["Lesson 1 subject", "Lesson 2 subject"]


def test_a_lesson_queued_but_unsent_when_pausing_comes_back_on_resume(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    from service.delivery.due_lessons import queue_due_lessons

    with mail_app.app_context():
        queue_due_lessons(db.session, MONDAY_9AM)  # lesson 1 queued, SMTP not yet reached
    _change(mail_app, MONDAY_9AM, paused=True)
    run_pass(mail_app, MONDAY_9AM + timedelta(minutes=1))
    assert _subjects(smtp_server) == []
    _change(mail_app, MONDAY_9AM + timedelta(hours=1), paused=False)
    run_pass(mail_app, MONDAY_9AM + timedelta(hours=1))
    assert _subjects(smtp_server) == ["Lesson 1 subject"]


def test_a_new_send_hour_moves_the_next_lesson(mail_app: Flask) -> None:
    run_pass(mail_app, MONDAY_9AM)
    due = _change(mail_app, MONDAY_9AM + timedelta(hours=1), send_hour=18)
    assert due == MONDAY_9AM + timedelta(days=1, hours=9)  # Tuesday 18:00 Chicago


def test_a_new_time_zone_moves_the_next_lesson(mail_app: Flask) -> None:
    run_pass(mail_app, MONDAY_9AM)
    due = _change(mail_app, MONDAY_9AM + timedelta(hours=1), timezone="Europe/Berlin")
    assert due == datetime(2026, 3, 3, 8, tzinfo=UTC)  # Tuesday 09:00 Berlin


def test_weekdays_only_moves_a_saturday_lesson_to_monday(mail_app: Flask) -> None:
    friday = MONDAY_9AM + timedelta(days=4)
    with mail_app.app_context():
        db.session.get(Enrolment, 1).next_due_at = friday  # type: ignore[union-attr]
        db.session.commit()
    run_pass(mail_app, friday)
    due = _change(mail_app, friday + timedelta(hours=1), weekdays_only=True)
    assert due == datetime(2026, 3, 9, 14, tzinfo=UTC)  # Monday 09:00, daylight time now


def test_course_off_stops_lessons_and_unsubscribing_clears_the_schedule(mail_app: Flask) -> None:
    run_pass(mail_app, MONDAY_9AM)
    assert _change(mail_app, MONDAY_9AM, course_enabled=False) is None
    assert _change(mail_app, MONDAY_9AM, course_enabled=True) is not None
    assert _change(mail_app, MONDAY_9AM, status="unsubscribed") is None


def test_restart_sends_the_course_again_from_lesson_one(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    for day in range(3):
        run_pass(mail_app, MONDAY_9AM + timedelta(days=day))
    assert len(_subjects(smtp_server)) == 3

    later = MONDAY_9AM + timedelta(days=10, hours=2)
    with mail_app.app_context():
        subscriber = db.session.scalars(select(Subscriber)).one()
        restart(db.session, subscriber, later)
        db.session.commit()
    run_pass(mail_app, later)
    run_pass(mail_app, later + timedelta(days=1))

    assert _subjects(smtp_server)[3:] == ["Lesson 1 subject", "Lesson 2 subject"]
    with mail_app.app_context():
        rounds = [d.round for d in db.session.scalars(select(Delivery).order_by(Delivery.id))]
    assert rounds == [1, 1, 1, 2, 2]  # the first round stays on record


def test_enrol_twice_keeps_one_enrolment(mail_app: Flask) -> None:
    with mail_app.app_context():
        subscriber = db.session.scalars(select(Subscriber)).one()
        first = enrol(db.session, subscriber, MONDAY_9AM)
        second = enrol(db.session, subscriber, MONDAY_9AM + timedelta(days=1))
        db.session.commit()
        assert first is second
        assert len(db.session.scalars(select(Enrolment)).all()) == 1
