"""The worker's scheduler and its job, in process (the SIGTERM test runs it for real)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from service.extensions import db
from service.jobs import build_scheduler, dispatch_job
from service.models import utcnow
from tests.conftest import make_app
from tests.delivery.factories import add_course, add_subscriber
from tests.smtp_server import SMTPServer, free_port


def test_the_scheduler_runs_one_coalesced_pass_a_minute(sqlite_app: Flask) -> None:
    scheduler = build_scheduler(sqlite_app, threading.Event())
    [job] = scheduler.get_jobs()
    assert job.trigger.interval == timedelta(minutes=1)
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.misfire_grace_time == 60


def test_a_pass_with_smtp_down_logs_and_leaves_the_worker_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'w.sqlite3'}", tmp_path,
                   SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    with app.app_context():
        add_course(db.session, 1)
        add_subscriber(db.session, "pat@example.com", utcnow() - timedelta(minutes=1))
        db.session.commit()
    stop = threading.Event()

    with caplog.at_level(logging.INFO, logger="service.worker"):
        dispatch_job(app, stop)

    assert not stop.is_set()  # an unreachable SMTP server ends the pass, not the worker
    assert "dispatch queued=1 sent=0 retried=1" in caplog.text
    with app.app_context():
        db.engine.dispose()


def test_a_stopped_worker_runs_no_further_pass(
    sqlite_app: Flask, smtp_server: SMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    stop = threading.Event()
    stop.set()
    with caplog.at_level(logging.INFO, logger="service.worker"):
        dispatch_job(sqlite_app, stop)
    assert "dispatch" not in caplog.text
