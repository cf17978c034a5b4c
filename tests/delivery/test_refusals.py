"""What a refusal does to a pass, through a real SMTP server: a mailbox that does not exist
suppresses that address only; a policy refusal suppresses nobody and stops sending."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.delivery.dispatch import run_pass
from service.delivery.store import HOLD
from service.extensions import db
from service.models import Delivery, SendingHold, Subscriber, Suppression, utcnow
from tests.conftest import make_app
from tests.delivery.factories import add_course, add_subscriber
from tests.smtp_server import SMTPServer

MONDAY_9AM = datetime(2026, 3, 2, 15, tzinfo=UTC)
EMAILS = [f"patient{n}@example.com" for n in range(6)]


@pytest.fixture
def mail_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    with app.app_context():
        add_course(db.session, 2)
        for email in EMAILS:
            add_subscriber(db.session, email, MONDAY_9AM)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _statuses(app: Flask) -> dict[str, str]:
    """Each subscriber's status, by address."""
    with app.app_context():
        rows = db.session.execute(select(Subscriber.email, Subscriber.status)).all()
        db.session.commit()
    return dict(rows)  # type: ignore[arg-type]


def _rows(app: Flask) -> list[str]:
    with app.app_context():
        found = list(db.session.scalars(select(Delivery.status).order_by(Delivery.id)))
        db.session.commit()
    return found


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_dmarc_refusal_at_data_suppresses_nobody_and_stops_the_pass(
    mail_app: Flask, smtp_server: SMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    reply = "550 5.7.26 Unauthenticated email from calmhands.example is not accepted (DMARC)"
    smtp_server.refuse_data(reply)

    now = utcnow()  # /healthz reads the hold at the real now
    with caplog.at_level(logging.ERROR, logger="service.worker"):
        counts = run_pass(mail_app, now)

    assert (counts.sent, counts.failed, counts.suppressed) == (0, 3, 0)
    assert set(_statuses(mail_app).values()) == {"active"}  # nobody suppressed
    assert _count(mail_app, Suppression) == 0
    assert _rows(mail_app) == ["failed"] * 3 + ["queued"] * 3  # the rest wait, untried
    [record] = caplog.records
    assert "5.7.26" in record.getMessage()
    for hint in ("SPF", "DKIM", "DMARC", "Nobody was suppressed"):
        assert hint in record.getMessage()
    health = mail_app.test_client().get("/healthz")
    assert health.status_code == 200  # the database answers; the body says what is wrong
    assert "sending: held" in health.text and "550 5.7.26" in health.text
    assert "calmhands.example is not" not in health.text  # only the code, never the text

    # While held, passes (the transactional poll too) send nothing, even if fixed meanwhile.
    smtp_server.refuse_data(None)
    assert run_pass(mail_app, now + timedelta(minutes=5)).sent == 0
    # After the hold, sending resumes by itself and the hold is forgotten.
    resumed = run_pass(mail_app, now + HOLD + timedelta(minutes=1))
    assert resumed.sent == 3 and not resumed.held
    assert _count(mail_app, SendingHold) == 0
    assert "sending: ok" in mail_app.test_client().get("/healthz").text


def test_a_policy_refusal_between_accepted_messages_does_not_stop_the_pass(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    smtp_server.reply_to(EMAILS[2], "554 5.7.1 Message rejected as spam")

    counts = run_pass(mail_app, MONDAY_9AM)

    assert (counts.sent, counts.failed, counts.suppressed) == (5, 1, 0)
    assert _statuses(mail_app)[EMAILS[2]] == "active"


def test_an_unknown_mailbox_suppresses_that_address_only_and_keeps_no_address(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    smtp_server.reply_to(EMAILS[1], f"550 5.1.1 <{EMAILS[1]}>: Recipient address rejected")

    counts = run_pass(mail_app, MONDAY_9AM)

    assert (counts.sent, counts.suppressed) == (5, 1)
    statuses = _statuses(mail_app)
    assert statuses.pop(EMAILS[1]) == "suppressed"
    assert set(statuses.values()) == {"active"}
    with mail_app.app_context():
        [kept] = db.session.scalars(select(Suppression)).all()
        assert kept.reason == "550 5.1.1" and "@" not in kept.address_hash + kept.reason


def test_a_full_mailbox_is_retried_not_suppressed(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    smtp_server.reply_to(EMAILS[0], "552 5.2.2 Mailbox full")

    counts = run_pass(mail_app, MONDAY_9AM)

    assert (counts.sent, counts.retried, counts.suppressed) == (5, 1, 0)
    assert _statuses(mail_app)[EMAILS[0]] == "active"
    del smtp_server.handler.replies[EMAILS[0]]
    assert run_pass(mail_app, MONDAY_9AM + timedelta(minutes=5)).sent == 1
    assert len(smtp_server.messages_to(EMAILS[0])) == 1
