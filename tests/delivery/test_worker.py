"""The worker process as deployed: a confirmation reaches the mail server within 5 seconds of
the signup's answer, while the web process itself never talks to SMTP."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from service.delivery.queueing import queue_transactional
from service.extensions import db
from service.models import MessageKind, utcnow
from tests.conftest import make_app
from tests.delivery.factories import add_subscriber
from tests.delivery.processes import command_env, start
from tests.smtp_server import SMTPServer
from tests.web.conftest import sign_up


def test_a_confirmation_reaches_the_mail_server_within_five_seconds_of_the_click(
    database: str, tmp_path: Path, smtp_server: SMTPServer
) -> None:
    web_app = make_app(database, tmp_path, SMTP_URL="smtp://127.0.0.1:1")  # the web: no SMTP
    with web_app.app_context():
        canary = add_subscriber(db.session, "canary@example.com", utcnow(), enrolled=False)
        queue_transactional(db.session, canary, MessageKind.CONFIRMATION, utcnow())
        db.session.commit()
    worker = start(["worker"], command_env(database, smtp_server.url, tmp_path / "instance"))
    try:
        assert smtp_server.wait_for("canary@example.com", timeout=30), "the worker did not start"
        browser = web_app.test_client()
        latencies = []
        for n in range(5):
            answer = sign_up(browser, f"patient{n}@example.com")
            answered = time.monotonic()
            assert answer.status_code == 200
            assert smtp_server.wait_for(f"patient{n}@example.com", timeout=10)
            latencies.append(time.monotonic() - answered)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, log = worker.communicate(timeout=30)
        with web_app.app_context():
            db.engine.dispose()
    assert worker.returncode == 0, log
    assert max(latencies) < 5, latencies
