"""One dispatch pass against a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from service.delivery.dispatch import run_pass
from service.delivery.queueing import queue_newsletter, queue_transactional
from service.extensions import db
from service.models import Delivery, Enrolment, MessageKind, NewsletterIssue, Subscriber
from tests.conftest import make_app
from tests.delivery.factories import add_course, add_subscriber, publish_edit
from tests.smtp_server import SMTPServer

# Monday 2 March 2026, 09:00 in Chicago (the subscribers' zone in these tests).
MONDAY_9AM = datetime(2026, 3, 2, 15, tzinfo=UTC)


@pytest.fixture
def mail_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _setup(app: Flask, emails: list[str], lessons: int = 3) -> None:
    with app.app_context():
        add_course(db.session, lessons)
        for email in emails:
            add_subscriber(db.session, email, MONDAY_9AM)
        db.session.commit()


def _deliveries(app: Flask, email: str) -> list[Delivery]:
    with app.app_context():
        subscriber = db.session.scalars(select(Subscriber).where(Subscriber.email == email)).one()
        return list(db.session.scalars(
            select(Delivery).where(Delivery.subscriber_id == subscriber.id).order_by(Delivery.id)))


def test_a_pass_sends_lesson_one_to_everyone_due_and_twice_sends_nothing_twice(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    emails = [f"patient{n}@example.com" for n in range(5)]
    _setup(mail_app, emails)

    first = run_pass(mail_app, MONDAY_9AM)
    second = run_pass(mail_app, MONDAY_9AM)

    assert (first.queued, first.sent) == (5, 5)
    assert (second.queued, second.sent) == (0, 0)
    for email in emails:
        [message] = smtp_server.messages_to(email)
        assert message["Subject"] == "Lesson 1 subject"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_course_runs_one_lesson_a_day_at_the_send_hour_and_then_completes(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    _setup(mail_app, ["pat@example.com"], lessons=3)
    for hours in range(0, 24 * 4, 1):  # a pass every hour for four days
        run_pass(mail_app, MONDAY_9AM + timedelta(hours=hours))

    subjects = [m["Subject"] for m in smtp_server.messages_to("pat@example.com")]
    assert subjects == ["Lesson 1 subject", "Lesson 2 subject", "Lesson 3 subject"]
    sent = [d.sent_at for d in _deliveries(mail_app, "pat@example.com")]
    # 09:00 Chicago each day: Monday, Tuesday, Wednesday
    assert [s.replace(minute=0, second=0, microsecond=0) for s in sent if s] == [
        MONDAY_9AM, MONDAY_9AM + timedelta(days=1), MONDAY_9AM + timedelta(days=2)]
    with mail_app.app_context():
        enrolment = db.session.scalars(select(Enrolment)).one()
        assert enrolment.completed_at is not None and enrolment.next_due_at is None


def test_smtp_down_then_back_delivers_everything_due_of_every_kind(
    database: str, tmp_path: Path
) -> None:
    server = SMTPServer()  # not started yet: connections are refused
    app = make_app(database, tmp_path, SMTP_URL=server.url)
    emails = [f"wait{n}@example.com" for n in range(4)]
    _setup(app, emails)
    with app.app_context():
        for row in db.session.scalars(select(Subscriber)):
            row.newsletter_enabled = True
        issue = NewsletterIssue(subject="Spring news", preheader="", body="Open at 8.")
        db.session.add(issue)
        queue_newsletter(db.session, issue, MONDAY_9AM)
        newcomer = Subscriber(email="new@example.com", timezone="UTC", status="pending")
        db.session.add(newcomer)
        queue_transactional(db.session, newcomer, MessageKind.CONFIRMATION, MONDAY_9AM)
        db.session.commit()

    down = run_pass(app, MONDAY_9AM)
    assert (down.sent, down.retried) == (0, 1)  # one try, the rest left for later untouched
    with server:
        still_waiting = run_pass(app, MONDAY_9AM + timedelta(seconds=5))
        back = run_pass(app, MONDAY_9AM + timedelta(minutes=5))
        received = sorted((str(m["To"]).split("<")[-1].rstrip(">"), str(m["Subject"]))
                          for m in server.messages)
    assert still_waiting.sent == 8  # the untried rows go as soon as SMTP answers
    assert back.sent == 1  # the retried one (the confirmation: it went first) after backoff
    assert received == sorted(
        [("new@example.com", "Please confirm your email for the sciatica course")]
        + [(e, "Lesson 1 subject") for e in emails] + [(e, "Spring news") for e in emails])
    with app.app_context():
        db.engine.dispose()


def test_a_4xx_is_retried_with_backoff_and_gives_up_after_the_limit(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    _setup(mail_app, ["busy@example.com", "fine@example.com"])
    smtp_server.reply_to("busy@example.com", "451 4.3.0 Try again later")

    counts = run_pass(mail_app, MONDAY_9AM)
    assert (counts.sent, counts.retried) == (1, 1)
    [row] = _deliveries(mail_app, "busy@example.com")
    assert row.status == "queued" and row.attempts == 1
    assert timedelta(seconds=30) <= row.next_attempt_at - MONDAY_9AM <= timedelta(seconds=61)
    assert "451" in (row.smtp_reply or "")

    later = MONDAY_9AM
    for _ in range(12):
        later += timedelta(hours=7)
        run_pass(mail_app, later)
    [row] = _deliveries(mail_app, "busy@example.com")[:1]
    assert row.status == "failed" and row.attempts == 10
    assert smtp_server.messages_to("busy@example.com") == []


def test_a_5xx_suppresses_that_address_and_the_others_are_delivered(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    _setup(mail_app, ["gone@example.com", "a@example.com", "b@example.com"])
    smtp_server.reply_to("gone@example.com", "550 5.1.1 No such user")

    counts = run_pass(mail_app, MONDAY_9AM)
    later = run_pass(mail_app, MONDAY_9AM + timedelta(days=1))

    assert (counts.sent, counts.suppressed) == (2, 1)
    assert later.sent == 2  # lesson 2 for the others; nothing more for the refused address
    with mail_app.app_context():
        gone = db.session.scalars(
            select(Subscriber).where(Subscriber.email == "gone@example.com")).one()
        assert gone.status == "suppressed" and gone.suppressed_at is not None
        assert "550 5.1.1 No such user" in (gone.suppressed_reason or "")
        enrolment = db.session.get(Enrolment, gone.id)
        assert enrolment is not None and enrolment.next_due_at is None
    assert [d.status for d in _deliveries(mail_app, "gone@example.com")] == ["suppressed"]
    assert len(smtp_server.messages_to("a@example.com")) == 2


def test_an_edited_lesson_reaches_those_who_have_not_had_it_and_rows_record_the_revision(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    _setup(mail_app, ["early@example.com"], lessons=3)
    run_pass(mail_app, MONDAY_9AM)
    run_pass(mail_app, MONDAY_9AM + timedelta(days=1))  # early has lesson 2 (revision 1)
    with mail_app.app_context():
        add_subscriber(db.session, "late@example.com", MONDAY_9AM + timedelta(days=1, hours=1))
        from service.models import Lesson

        lesson2 = db.session.scalars(select(Lesson).where(Lesson.position == 2)).one()
        old_revision = lesson2.published
        new_revision = publish_edit(db.session, lesson2, "Lesson 2, corrected")
        db.session.commit()
        old_id, new_id = old_revision.id if old_revision else 0, new_revision.id
    run_pass(mail_app, MONDAY_9AM + timedelta(days=1, hours=1))  # late: lesson 1
    run_pass(mail_app, MONDAY_9AM + timedelta(days=2))  # early: 3; late: 2 (edited)

    late = [m["Subject"] for m in smtp_server.messages_to("late@example.com")]
    early = [m["Subject"] for m in smtp_server.messages_to("early@example.com")]
    assert late == ["Lesson 1 subject", "Lesson 2, corrected"]
    assert early == ["Lesson 1 subject", "Lesson 2 subject", "Lesson 3 subject"]
    assert _deliveries(mail_app, "late@example.com")[1].revision_id == new_id
    assert _deliveries(mail_app, "early@example.com")[1].revision_id == old_id


def test_unsubscribed_before_the_pass_gets_nothing(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    _setup(mail_app, ["left@example.com", "stays@example.com"])
    with mail_app.app_context():
        left = db.session.scalars(
            select(Subscriber).where(Subscriber.email == "left@example.com")).one()
        left.status = "unsubscribed"
        left_id = left.id
        db.session.commit()

    counts = run_pass(mail_app, MONDAY_9AM)

    assert counts.sent == 1
    assert smtp_server.messages_to("left@example.com") == []
    with mail_app.app_context():
        enrolment = db.session.get(Enrolment, left_id)
        assert enrolment is not None and enrolment.next_due_at is None  # not looked at again


def test_after_a_5xx_nothing_else_queued_for_that_address_is_tried(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    _setup(mail_app, ["gone@example.com"])
    with mail_app.app_context():
        from service.delivery.queueing import queue_transactional
        from service.models import MessageKind

        gone = db.session.scalars(select(Subscriber)).one()
        queue_transactional(db.session, gone, MessageKind.ALREADY_SUBSCRIBED, MONDAY_9AM)
        db.session.commit()
    smtp_server.reply_to("gone@example.com", "550 5.1.1 No such user")

    counts = run_pass(mail_app, MONDAY_9AM)

    assert (counts.sent, counts.suppressed) == (0, 1)
    statuses = sorted(d.status for d in _deliveries(mail_app, "gone@example.com"))
    assert statuses[0] != "sent" and statuses[1] == "suppressed"
    assert set(statuses) <= {"suppressed", "cancelled"}


def test_several_connections_send_each_message_once(
    database: str, tmp_path: Path, smtp_server: SMTPServer
) -> None:
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url, SMTP_CONNECTIONS=3)
    emails = [f"many{n}@example.com" for n in range(120)]
    _setup(app, emails)

    counts = run_pass(app, MONDAY_9AM)

    assert counts.sent == 120
    assert sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in smtp_server.messages) == sorted(
        emails)
    with app.app_context():
        db.engine.dispose()


def test_send_rate_caps_messages_per_second(
    database: str, tmp_path: Path, smtp_server: SMTPServer
) -> None:
    import time

    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url, SEND_RATE=40.0)
    _setup(app, [f"slow{n}@example.com" for n in range(21)])

    start = time.monotonic()
    counts = run_pass(app, MONDAY_9AM)
    elapsed = time.monotonic() - start

    assert counts.sent == 21
    assert elapsed >= 0.5  # 21 messages at 40 per second: 20 intervals of 25 ms
    with app.app_context():
        db.engine.dispose()


def test_a_subscriber_with_an_unknown_time_zone_does_not_stop_the_pass(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    _setup(mail_app, ["odd@example.com", "fine@example.com"])
    with mail_app.app_context():
        odd = db.session.scalars(select(Subscriber).where(Subscriber.email == "odd@example.com"))
        odd.one().timezone = "Nowhere/Atlantis"
        db.session.commit()

    counts = run_pass(mail_app, MONDAY_9AM)

    assert counts.sent == 2
    with mail_app.app_context():
        dues = {e.next_due_at for e in db.session.scalars(select(Enrolment))}
    assert datetime(2026, 3, 3, 9, tzinfo=UTC) in dues  # 09:00 UTC for the unknown zone


def test_each_sent_row_records_its_message_id_and_no_setting_leaks_into_the_pool(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    emails = ["ann@example.com", "bob@example.com"]
    _setup(mail_app, emails)

    run_pass(mail_app, MONDAY_9AM)

    for email in emails:
        [delivery] = _deliveries(mail_app, email)
        [message] = smtp_server.messages_to(email)
        assert delivery.status == "sent" and delivery.message_id == message["Message-ID"]
    with mail_app.app_context():
        connections = [db.engine.connect() for _ in range(5)]  # every idle pooled one, and more
        try:
            if db.engine.dialect.name == "postgresql":  # the marks' synchronous_commit=off
                settings = {c.exec_driver_sql("SHOW synchronous_commit").scalar()
                            for c in connections}
                assert settings == {"on"}
                assert not any(c.connection.dbapi_connection.autocommit for c in connections)
        finally:
            for connection in connections:
                connection.close()
