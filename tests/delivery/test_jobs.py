"""The worker's scheduler and its job, in process (the SIGTERM test runs it for real)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from service.delivery.job import Stop
from service.delivery.queueing import queue_transactional
from service.extensions import db
from service.jobs import TRANSACTIONAL_POLL, build_scheduler, dispatch_job, transactional_job
from service.models import MessageKind, utcnow
from tests.conftest import make_app
from tests.delivery.factories import add_course, add_subscriber
from tests.smtp_server import SMTPServer, free_port


def test_the_scheduler_polls_transactional_mail_and_runs_a_full_pass_a_minute(
    sqlite_app: Flask,
) -> None:
    scheduler = build_scheduler(sqlite_app, Stop())
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"dispatch", "transactional"}
    assert jobs["dispatch"].trigger.interval == timedelta(minutes=1)
    assert jobs["dispatch"].misfire_grace_time == 60
    assert jobs["transactional"].trigger.interval == timedelta(seconds=TRANSACTIONAL_POLL)
    assert TRANSACTIONAL_POLL <= 2  # a confirmation reaches the server within 5 s
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1


def test_the_transactional_job_sends_confirmations_and_leaves_lessons_to_the_pass(
    tmp_path: Path, smtp_server: SMTPServer
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 't.sqlite3'}", tmp_path, SMTP_URL=smtp_server.url)
    with app.app_context():
        add_course(db.session, 1)
        pat = add_subscriber(db.session, "pat@example.com", utcnow() - timedelta(minutes=1))
        newcomer = add_subscriber(db.session, "new@example.com", utcnow(), enrolled=False)
        newcomer.status = "pending"
        queue_transactional(db.session, newcomer, MessageKind.CONFIRMATION, utcnow())
        db.session.commit()
        assert pat.id

    transactional_job(app, Stop())

    assert [m["Subject"] for m in smtp_server.messages_to("new@example.com")] == [
        "Please confirm your email for the sciatica course"]
    assert smtp_server.messages_to("pat@example.com") == []  # the minute pass's work
    dispatch_job(app, Stop())
    assert len(smtp_server.messages_to("pat@example.com")) == 1
    with app.app_context():
        db.engine.dispose()


def test_a_pass_with_smtp_down_logs_and_leaves_the_worker_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'w.sqlite3'}", tmp_path,
                   SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    with app.app_context():
        add_course(db.session, 1)
        add_subscriber(db.session, "pat@example.com", utcnow() - timedelta(minutes=1))
        db.session.commit()
    stop = Stop()

    with caplog.at_level(logging.INFO, logger="service.worker"):
        dispatch_job(app, stop)

    assert not stop.is_set()  # an unreachable SMTP server ends the pass, not the worker
    assert "dispatch queued=1 sent=0 retried=1" in caplog.text
    with app.app_context():
        db.engine.dispose()


def test_a_stopped_worker_runs_no_further_pass(
    sqlite_app: Flask, smtp_server: SMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    stop = Stop()
    stop.set()
    with caplog.at_level(logging.INFO, logger="service.worker"):
        dispatch_job(sqlite_app, stop)
    assert "dispatch" not in caplog.text
