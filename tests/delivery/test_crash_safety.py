"""Guarantees across processes: concurrent passes, a killed pass, a stopped worker."""

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

from service.extensions import db
from service.models import Delivery, utcnow
from tests.conftest import _truncate_postgres, make_app
from tests.delivery.factories import add_course, seed_subscribers
from tests.delivery.processes import command_env, dispatch, start
from tests.smtp_server import SMTPServer

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def _recipients(server: SMTPServer) -> Counter[str]:
    with server.handler.lock:
        return Counter(addr for r in server.handler.received for addr in r.envelope_to)


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


def _seed(app: Flask, count: int, now: datetime) -> list[str]:
    with app.app_context():
        add_course(db.session, 2)
        emails = seed_subscribers(db.session, count, now)
        db.session.commit()
    return emails


def test_two_dispatch_processes_at_once_send_every_lesson_exactly_once(
    postgres_schema: str, tmp_path: Path, smtp_server: SMTPServer
) -> None:
    _truncate_postgres(postgres_schema)
    app = make_app(postgres_schema, tmp_path)
    emails = _seed(app, 2000, NOW)
    env = command_env(postgres_schema, smtp_server.url, tmp_path / "instance")

    processes = [dispatch(NOW, env), dispatch(NOW, env)]
    outputs = [p.communicate(timeout=90) for p in processes]

    assert all(p.returncode == 0 for p in processes), outputs
    received = _recipients(smtp_server)
    assert set(received) == set(emails)
    assert max(received.values()) == 1
    assert _statuses(app) == {"sent": 2000}
    # both processes did part of the work
    assert all("sent=" in out and "sent=0 " not in out for out, _ in outputs), outputs
    with app.app_context():
        db.engine.dispose()


def test_a_killed_dispatch_loses_nothing_and_repeats_at_most_one_message(
    seeded: tuple[Flask, str], tmp_path: Path, smtp_server: SMTPServer
) -> None:
    app, database = seeded
    emails = _seed(app, 300, NOW)
    env = command_env(database, smtp_server.url, tmp_path / "instance", SEND_RATE="150")

    victim = dispatch(NOW, env)
    deadline = time.monotonic() + 30
    while len(smtp_server.messages) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=10)
    assert victim.returncode == -signal.SIGKILL
    assert 60 <= len(smtp_server.messages) < 300  # killed mid-batch

    # Right away, rows the dead pass had claimed are left alone (their lease runs) ...
    soon = dispatch(NOW + timedelta(minutes=1), command_env(database, smtp_server.url,
                                                            tmp_path / "instance"))
    soon.communicate(timeout=60)
    assert _statuses(app).get("sending", 0) <= 50
    # ... and once the lease is over, a later pass takes them back and sends them.
    later = dispatch(NOW + timedelta(minutes=11), command_env(database, smtp_server.url,
                                                              tmp_path / "instance"))
    later.communicate(timeout=60)

    received = _recipients(smtp_server)
    assert set(received) == set(emails)  # none lost
    assert sum(received.values()) - len(emails) <= 1  # at most the one in flight repeated
    assert _statuses(app) == {"sent": 300}


def test_the_worker_stops_cleanly_on_sigterm_after_the_message_in_flight(
    seeded: tuple[Flask, str], tmp_path: Path, smtp_server: SMTPServer
) -> None:
    app, database = seeded
    _seed(app, 200, utcnow() - timedelta(minutes=1))
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
    assert statuses["queued"] == 200 - statuses["sent"]
