"""`flask dispatch`, as the operator runs it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from service.extensions import db
from tests.delivery.factories import add_course, add_subscriber

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def test_dispatch_prints_its_counts_and_a_second_run_at_the_same_instant_sends_nothing(
    app: Flask, tmp_path: Path
) -> None:
    with app.app_context():
        add_course(db.session, 2)
        add_subscriber(db.session, "pat@example.com", NOW)
        db.session.commit()
    runner = app.test_cli_runner()

    first = runner.invoke(args=["dispatch", "--now", "2026-03-02T15:00:00Z"])
    second = runner.invoke(args=["dispatch", "--now", "2026-03-02T15:00:00+00:00"])

    assert first.exit_code == 0, first.output
    assert first.output.strip() == "queued=1 sent=1 retried=0 suppressed=0 failed=0"
    assert second.output.strip() == "queued=0 sent=0 retried=0 suppressed=0 failed=0"
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1  # no SMTP_URL: the dev outbox


def test_dispatch_rejects_a_malformed_instant(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["dispatch", "--now", "next tuesday"])
    assert result.exit_code != 0
    assert "ISO-8601" in result.output
