"""Issues through the dispatch pass to a real SMTP server: schedules, cancel, stop, repeats."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from service.delivery.dispatch import run_pass
from service.extensions import db
from service.models import Delivery, NewsletterIssue
from service.newsletter import issues, reports, schedule
from tests.conftest import make_app
from tests.delivery import processes
from tests.newsletter.helpers import draft, person, stored_issue
from tests.smtp_server import SMTPServer

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)  # Monday 09:00 in Chicago


@pytest.fixture
def mail_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_at_a_clinic_time_it_goes_then_and_once(mail_app: Flask, smtp_server: SMTPServer) -> None:
    with mail_app.app_context():
        for n in range(3):
            person(db.session, f"p{n}@example.com", NOW)
        issue = draft(db.session, NOW)
        when = schedule.parse_when("2026-03-03T10:00", "America/Chicago", NOW)
        issues.schedule_issue(db.session, issue, when, NOW, "America/Chicago")
        db.session.commit()
        issue_id = issue.id
    run_pass(mail_app, datetime(2026, 3, 3, 15, 59, tzinfo=UTC))
    assert smtp_server.messages == [] and stored_issue(mail_app, issue_id).status == "scheduled"
    run_pass(mail_app, datetime(2026, 3, 3, 16, 0, tzinfo=UTC))
    run_pass(mail_app, datetime(2026, 3, 3, 16, 1, tzinfo=UTC))
    assert len(smtp_server.messages) == 3
    assert stored_issue(mail_app, issue_id).status == "sent"
    message = smtp_server.messages_to("p0@example.com")[0]
    assert "/unsubscribe/newsletter/" in str(message["List-Unsubscribe"])
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    assert "http://localhost/newsletter/winter-news" in text
    assert "http://localhost/preferences/" in text


def test_at_each_subscribers_hour_each_zone_gets_it_at_its_own_time(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    zones = {"chicago@example.com": ("America/Chicago", 9),  # 15:00 UTC on 9 March (CDT)
             "london@example.com": ("Europe/London", 9),  # 09:00 UTC
             "auckland@example.com": ("Pacific/Auckland", 7),  # 18:00 UTC on 8 March
             "late@example.com": ("America/Chicago", 20)}  # 01:00 UTC on 10 March
    with mail_app.app_context():
        for email, (zone, hour) in zones.items():
            person(db.session, email, NOW, zone=zone, hour=hour)
        issue = draft(db.session, NOW)
        issues.schedule_issue(db.session, issue, schedule.at_subscriber_hour(
            date(2026, 3, 9), NOW), NOW, "America/Chicago")
        db.session.commit()
        issue_id = issue.id

    def who_got_it() -> set[str]:
        return {str(m["To"]).split("<")[-1].rstrip(">") for m in smtp_server.messages}

    expected = [(datetime(2026, 3, 8, 17, 59), set()),
                (datetime(2026, 3, 8, 18, 0), {"auckland@example.com"}),
                (datetime(2026, 3, 9, 9, 0), {"auckland@example.com", "london@example.com"}),
                (datetime(2026, 3, 9, 13, 59), {"auckland@example.com", "london@example.com"}),
                (datetime(2026, 3, 9, 14, 0), {"auckland@example.com", "london@example.com",
                                               "chicago@example.com"}),
                (datetime(2026, 3, 10, 1, 0), set(zones))]
    for instant, received in expected:
        run_pass(mail_app, instant.replace(tzinfo=UTC))
        assert who_got_it() == received, instant
    assert len(smtp_server.messages) == 4
    assert stored_issue(mail_app, issue_id).status == "sending"  # the date has not ended everywhere
    run_pass(mail_app, datetime(2026, 3, 10, 12, tzinfo=UTC))
    assert stored_issue(mail_app, issue_id).status == "sent" and len(smtp_server.messages) == 4


def test_a_cancelled_issue_never_goes(mail_app: Flask, smtp_server: SMTPServer) -> None:
    with mail_app.app_context():
        person(db.session, "ann@example.com", NOW)
        issue = draft(db.session, NOW)
        issues.schedule_issue(db.session, issue, schedule.parse_when(
            "2026-03-03T10:00", "America/Chicago", NOW), NOW, "America/Chicago")
        issues.cancel_issue(db.session, issue, NOW)
        db.session.commit()
        issue_id = issue.id
    run_pass(mail_app, NOW + timedelta(days=2))
    assert smtp_server.messages == [] and stored_issue(mail_app, issue_id).status == "cancelled"


def test_stopping_during_the_send_sends_nothing_after_the_stop(
    database: str, tmp_path: Path, smtp_server: SMTPServer
) -> None:
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url, SEND_RATE=25)
    with app.app_context():
        for n in range(40):
            person(db.session, f"p{n}@example.com", NOW)
        issue = draft(db.session, NOW)
        issues.schedule_issue(db.session, issue, schedule.send_now(NOW), NOW)
        db.session.commit()
        issue_id = issue.id
    sending = threading.Thread(target=run_pass, args=(app, NOW))
    sending.start()
    deadline = time.monotonic() + 10
    while len(smtp_server.messages) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    with app.app_context():
        stopped = db.session.get(NewsletterIssue, issue_id)
        assert stopped is not None
        issues.stop_issue(db.session, stopped, NOW)
        db.session.commit()
    at_stop = len(smtp_server.messages)
    sending.join(timeout=30)
    run_pass(app, NOW + timedelta(minutes=1))
    # At most the one message already being handed to SMTP at the instant of the stop.
    assert len(smtp_server.messages) - at_stop <= 1
    assert 5 <= len(smtp_server.messages) < 40
    with app.app_context():
        issue = db.session.get(NewsletterIssue, issue_id)
        done = reports.progress(db.session, issue)
        statuses = set(db.session.scalars(select(Delivery.status)))
        assert issue.status == "stopped" and done.sent == len(smtp_server.messages)
        assert statuses == {"sent", "cancelled"}
        db.session.remove()
        db.engine.dispose()


def test_two_dispatch_processes_during_a_send_double_nothing(
    database: str, tmp_path: Path, smtp_server: SMTPServer
) -> None:
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    with app.app_context():
        for n in range(60):
            person(db.session, f"p{n}@example.com", NOW)
        issue = draft(db.session, NOW)
        issues.schedule_issue(db.session, issue, schedule.parse_when(
            "2026-03-02T09:30", "America/Chicago", NOW), NOW, "America/Chicago")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    env = processes.command_env(database, smtp_server.url, tmp_path / "instance")
    at = NOW + timedelta(hours=1)
    workers = [processes.dispatch(at, env) for _ in range(2)]
    for worker in workers:
        _, errors = worker.communicate(timeout=120)
        assert worker.returncode == 0, errors
    received = [str(m["To"]) for m in smtp_server.messages]
    assert len(received) == 60 and len(set(received)) == 60
