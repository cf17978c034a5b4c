"""When lesson 1 goes: at once after confirming on the web, at the send hour after an import."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from service.delivery.dispatch import run_pass
from service.extensions import db
from service.subscriptions.bulk import import_csv
from tests.conftest import make_app
from tests.delivery.factories import add_course
from tests.smtp_server import SMTPServer

# 02:00 in Chicago on Monday 2 March 2026: when a clinic might run its import.
TWO_AM = datetime(2026, 3, 2, 8, tzinfo=UTC)
NINE_AM = datetime(2026, 3, 2, 15, tzinfo=UTC)


@pytest.fixture
def mail_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    with app.app_context():
        add_course(db.session, 3)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_imported_confirmed_subscriber_gets_lesson_one_at_their_send_hour(
    mail_app: Flask, smtp_server: SMTPServer, tmp_path: Path
) -> None:
    source = tmp_path / "patients.csv"
    source.write_text("email,name,timezone,send_hour,confirmed_at\n"
                      "pat@example.com,Pat,America/Chicago,9,2026-02-01T10:00:00Z\n")
    report = import_csv(mail_app, str(source), TWO_AM)
    assert report.confirmed == 1

    for minutes in range(0, 7 * 60, 30):  # the worker through the night, till 08:59
        run_pass(mail_app, TWO_AM + timedelta(minutes=minutes))
    assert smtp_server.messages_to("pat@example.com") == []

    run_pass(mail_app, NINE_AM)
    [lesson] = smtp_server.messages_to("pat@example.com")
    assert lesson["Subject"] == "Lesson 1 subject"
    run_pass(mail_app, NINE_AM + timedelta(days=1))
    assert [m["Subject"] for m in smtp_server.messages_to("pat@example.com")] == [
        "Lesson 1 subject", "Lesson 2 subject"]
