"""Guarantees across processes, for every kind of mail in the outbox: concurrent passes,
a killed pass, a stopped worker."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.delivery.queueing import queue_newsletter, queue_transactional
from service.extensions import db
from service.models import Delivery, MessageKind, NewsletterIssue, Subscriber, utcnow
from tests.conftest import _truncate_postgres, make_app
from tests.delivery.factories import add_course, seed_subscribers
from tests.delivery.processes import command_env, dispatch, start
from tests.smtp_server import SMTPServer

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def _messages(server: SMTPServer) -> Counter[tuple[str, str]]:
    """How often each (recipient, subject) arrived."""
    with server.handler.lock:
        return Counter((addr, str(r.message["Subject"])) for r in server.handler.received
                       for addr in r.envelope_to)


def _expected(emails: list[str], pending: list[str]) -> set[tuple[str, str]]:
    return ({(e, "Lesson 1 subject") for e in emails} | {(e, NEWS) for e in emails}
            | {(p, CONFIRMATION) for p in pending})


def _statuses(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)).all()
        db.session.commit()
        return {status: count for status, count in rows}


@pytest.fixture
def seeded(database: str, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    app = make_app(database, tmp_path)
    yield app, database
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


NEWS = "Spring news"
CONFIRMATION = "Please confirm your email for the sciatica course"


def _seed(app: Flask, count: int, now: datetime) -> list[str]:
    """`count` subscribers with lesson 1 due; each also gets an issue of the newsletter."""
    with app.app_context():
        add_course(db.session, 2)
        emails = seed_subscribers(db.session, count, now, newsletter=True)
        issue = NewsletterIssue(subject=NEWS, preheader="", body="We now open at 8.")
        db.session.add(issue)
        queue_newsletter(db.session, issue, now)
        db.session.commit()
    return emails


def _seed_pending(app: Flask, count: int, now: datetime) -> list[str]:
    """`count` pending signups, each with a confirmation queued."""
    emails = [f"new{n}@example.com" for n in range(count)]
    with app.app_context():
        for email in emails:
            row = Subscriber(email=email, timezone="UTC", status="pending", created_at=now)
            db.session.add(row)
            queue_transactional(db.session, row, MessageKind.CONFIRMATION, now)
        db.session.commit()
    return emails


def test_two_dispatch_processes_at_once_send_every_lesson_exactly_once(
    postgres_schema: str, tmp_path: Path, smtp_server: SMTPServer
) -> None:
    _truncate_postgres(postgres_schema)
    app = make_app(postgres_schema, tmp_path)
    emails = _seed(app, 1500, NOW)
    pending = _seed_pending(app, 100, NOW)
    env = command_env(postgres_schema, smtp_server.url, tmp_path / "instance")

    processes = [dispatch(NOW, env), dispatch(NOW, env)]
    outputs = [p.communicate(timeout=120) for p in processes]

    assert all(p.returncode == 0 for p in processes), outputs
    received = _messages(smtp_server)
    assert set(received) == _expected(emails, pending)
    assert max(received.values()) == 1
    assert _statuses(app) == {"sent": 3100}
    # both processes did part of the work
    assert all("sent=" in out and "sent=0 " not in out for out, _ in outputs), outputs
    with app.app_context():
        db.engine.dispose()


def test_a_killed_dispatch_loses_nothing_and_repeats_at_most_one_message(
    seeded: tuple[Flask, str], tmp_path: Path, smtp_server: SMTPServer
) -> None:
    app, database = seeded
    emails = _seed(app, 150, NOW)
    pending = _seed_pending(app, 30, NOW)
    env = command_env(database, smtp_server.url, tmp_path / "instance", SEND_RATE="150")

    victim = dispatch(NOW, env)
    deadline = time.monotonic() + 30
    while len(smtp_server.messages) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=10)
    assert victim.returncode == -signal.SIGKILL
    assert 60 <= len(smtp_server.messages) < 330  # killed mid-batch

    # Right away, rows the dead pass had claimed are left alone (their lease runs) ...
    soon = dispatch(NOW + timedelta(minutes=1), command_env(database, smtp_server.url,
                                                            tmp_path / "instance"))
    soon.communicate(timeout=60)
    assert _statuses(app).get("sending", 0) <= 50
    # ... and once the lease is over, a later pass takes them back and sends them.
    later = dispatch(NOW + timedelta(minutes=11), command_env(database, smtp_server.url,
                                                              tmp_path / "instance"))
    later.communicate(timeout=60)

    received = _messages(smtp_server)
    assert set(received) == _expected(emails, pending)  # none lost, of any kind
    assert sum(received.values()) - len(received) <= 1  # at most the one in flight repeated
    assert _statuses(app) == {"sent": 330}


def test_the_worker_stops_cleanly_on_sigterm_after_the_message_in_flight(
    seeded: tuple[Flask, str], tmp_path: Path, smtp_server: SMTPServer
) -> None:
    app, database = seeded
    _seed(app, 100, utcnow() - timedelta(minutes=1))
    env = command_env(database, smtp_server.url, tmp_path / "instance", SEND_RATE="50")

    worker = start(["worker"], env)
    deadline = time.monotonic() + 30
    while len(smtp_server.messages) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.send_signal(signal.SIGTERM)
    _, log = worker.communicate(timeout=15)

    assert worker.returncode == 0, log
    assert "worker stopped" in log
    statuses = _statuses(app)
    assert "sending" not in statuses  # what it had claimed went back to the queue
    assert statuses["sent"] == len(smtp_server.messages) < 200
    assert statuses["queued"] == 200 - statuses["sent"]  # lessons and newsletters both
