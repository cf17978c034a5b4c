"""SIGTERM stops the real worker process within seconds while a send waits on a mail server
that does not answer (SMTP_TIMEOUT is two minutes here), and no confirmation is lost or
sent twice afterwards."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from service.delivery.queueing import queue_transactional
from service.extensions import db
from service.models import Delivery, MessageKind, Subscriber, utcnow
from tests.conftest import make_app
from tests.delivery.processes import command_env, dispatch, start
from tests.smtp_server import HungServer, SMTPServer

PATIENTS = [f"waiting{n}@example.com" for n in range(3)]
STOPS_WITHIN = 5.0  # seconds from SIGTERM to exit


@pytest.fixture
def app(database: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database, tmp_path)
    with app.app_context():
        now = utcnow() - timedelta(minutes=1)
        for email in PATIENTS:
            row = Subscriber(email=email, timezone="UTC", status="pending", created_at=now)
            db.session.add(row)
            queue_transactional(db.session, row, MessageKind.CONFIRMATION, now)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _rows(app: Flask) -> list[tuple[str, int]]:
    """Each confirmation's (status, attempts)."""
    with app.app_context():
        rows = db.session.execute(select(Delivery.status, Delivery.attempts)
                                  .order_by(Delivery.id)).all()
        db.session.commit()
    return [(status, attempts) for status, attempts in rows]


def _wait(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _stop(worker: subprocess.Popen[str]) -> tuple[float, str]:
    """SIGTERM; the seconds the worker took to exit, and its log."""
    asked = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    try:
        _, log = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        _, log = worker.communicate()
        pytest.fail(f"the worker ignored SIGTERM for 30 s:\n{log}")
    return time.monotonic() - asked, log


def _deliver_all(env: dict[str, str], server: SMTPServer, minutes_later: int = 0) -> None:
    """One dispatch pass to a mail server that answers, `minutes_later` than now."""
    done = dispatch(utcnow() + timedelta(minutes=minutes_later), {**env, "SMTP_URL": server.url})
    _, log = done.communicate(timeout=60)
    assert done.returncode == 0, log


def _arrivals(server: SMTPServer) -> Counter[str]:
    with server.handler.lock:
        return Counter(address for r in server.handler.received for address in r.envelope_to)


def test_sigterm_stops_a_worker_waiting_for_a_silent_servers_greeting(
    app: Flask, database: str, tmp_path: Path
) -> None:
    with HungServer() as hung:
        env = command_env(database, hung.url, tmp_path / "instance", SMTP_TIMEOUT="120")
        worker = start(["worker"], env)
        _wait(lambda: bool(hung.connections), "the worker never connected")
        time.sleep(0.5)  # well into the wait for a greeting that never comes
        took, log = _stop(worker)

        assert worker.returncode == 0 and "worker stopped" in log, log
        assert took < STOPS_WITHIN, log
        # Nothing had been handed over: every confirmation is back in the queue, untried.
        assert _rows(app) == [("queued", 0)] * len(PATIENTS)

        server = hung.answer()  # the mail server recovers on the same address
        try:
            _deliver_all(env, server)
            assert _arrivals(server) == Counter(PATIENTS)
        finally:
            server.stop()
    assert _rows(app) == [("sent", 1)] * len(PATIENTS)


def test_sigterm_during_an_unanswered_data_leaves_that_message_to_its_lease(
    app: Flask, database: str, tmp_path: Path, smtp_server: SMTPServer
) -> None:
    with SMTPServer() as stalling:
        stalling.stall_after_data()
        env = command_env(database, stalling.url, tmp_path / "instance", SMTP_TIMEOUT="120")
        worker = start(["worker"], env)
        _wait(lambda: stalling.handler.stalled == 1, "the worker never reached DATA")
        took, log = _stop(worker)

    assert worker.returncode == 0 and "worker stopped" in log, log
    assert took < STOPS_WITHIN, log
    # The first one may have been delivered: it stays claimed, as after a crash; the rest
    # went back to the queue.
    assert _rows(app) == [("sending", 0)] + [("queued", 0)] * (len(PATIENTS) - 1)

    _deliver_all(env, smtp_server)  # within the lease: only the others go
    assert _arrivals(smtp_server) == Counter(PATIENTS[1:])
    _deliver_all(env, smtp_server, minutes_later=11)  # past it: the pass takes it back
    assert _arrivals(smtp_server) == Counter(PATIENTS)
    assert _rows(app) == [("sent", 1)] * len(PATIENTS)
