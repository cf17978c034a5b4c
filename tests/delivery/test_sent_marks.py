"""The "sent" marks of a sending thread (store.SentMarks) on each database: every mark is
in before the next message's content may go, and a stop it reads back withdraws the next
message of that issue. On PostgreSQL a mark is sent late (while the mail server is busy)
and answered later still (pg_marks.Deferred)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select

from service.delivery import preparing, store
from service.delivery.dispatch import run_pass
from service.extensions import db
from service.models import Delivery
from service.newsletter import fanout, issues, schedule
from tests.conftest import make_app
from tests.newsletter.helpers import draft, person
from tests.smtp_server import SMTPServer

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def _issue_rows(app: Flask, count: int) -> tuple[int, list[Delivery]]:
    with app.app_context():
        for n in range(count):
            person(db.session, f"p{n}@example.com", NOW)
        issue = draft(db.session, NOW)
        issues.schedule_issue(db.session, issue, schedule.send_now(NOW), NOW)
        fanout.queue_issue(db.session, issue, NOW)
        db.session.commit()
        issue_id = issue.id
        rows = list(db.session.scalars(select(Delivery).order_by(Delivery.id)))
        db.session.expunge_all()
        return issue_id, rows


def _statuses(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Delivery.status).order_by(Delivery.id)))


def test_each_mark_is_stored_before_the_next_message_may_go(app: Flask) -> None:
    _, rows = _issue_rows(app, 3)
    with app.app_context():
        marks = store.SentMarks(db.engine)
        for row in rows:
            assert marks.may_send(row)
            assert _statuses(app).count("sent") == rows.index(row)
            marks.record_sent(row, None, f"<{row.id}@calmhands.example>", NOW)
        marks.close()
    assert _statuses(app) == ["sent"] * 3


def test_a_stop_read_back_with_a_mark_withdraws_the_next_message(app: Flask) -> None:
    issue_id, rows = _issue_rows(app, 3)
    with app.app_context():
        marks = store.SentMarks(db.engine)
        assert marks.may_send(rows[0])
        with app.app_context():  # staff stop the issue while the first message goes
            issue = issues.get_issue(db.session, issue_id)
            assert issue is not None
            issues.stop_issue(db.session, issue, NOW)
            db.session.commit()
        marks.record_sent(rows[0], None, "<first@calmhands.example>", NOW)
        assert not marks.may_send(rows[1])
        marks.close()
    assert _statuses(app)[0] == "sent"


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_mark_that_did_not_take_is_an_error_before_the_next_message(app: Flask) -> None:
    """Answered late on PostgreSQL, a refused mark still stops the next message."""
    _, rows = _issue_rows(app, 2)
    with app.app_context():
        marks = store.SentMarks(db.engine)
        marks.record_sent(rows[0], 10**9, "<first@calmhands.example>", NOW)  # no such revision
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            marks.may_send(rows[1])
        marks.close(settle=False)
    assert "sent" not in _statuses(app)


def _until_sent(app: Flask, count: int, seconds: float = 3.0) -> bool:
    """Whether `count` rows read as sent from another connection within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _statuses(app).count("sent") >= count:
            return True
        time.sleep(0.02)
    return False


def test_a_flushed_mark_is_stored_without_waiting_for_its_answer(app: Flask) -> None:
    """The sending thread flushes a mark while the mail server is busy, and reads the
    answer later: the row is sent in the database meanwhile, seen by anyone else."""
    _, rows = _issue_rows(app, 2)
    with app.app_context():
        marks = store.SentMarks(db.engine)
        marks.record_sent(rows[0], None, "<first@calmhands.example>", NOW)
        marks.flush()
        assert _until_sent(app, 1)
        marks.close()
    assert _statuses(app) == ["sent", "queued"]


def test_a_mark_recorded_before_an_error_is_still_stored(app: Flask) -> None:
    """The message went: an error on its way (close without settling) keeps its mark."""
    _, rows = _issue_rows(app, 2)
    with app.app_context():
        marks = store.SentMarks(db.engine)
        marks.record_sent(rows[0], None, "<first@calmhands.example>", NOW)
        marks.close(settle=False)
    assert _until_sent(app, 1)


def test_a_mark_goes_as_soon_as_the_sender_waits_for_more(
    database: str, tmp_path: Path, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sent message's mark does not wait in memory for the next message: while the next
    claim is still being made, the first row already reads as sent."""
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    _issue_rows(app, 2)
    monkeypatch.setattr(preparing, "CLAIM_BATCH", 1)
    claim, seen = store.claim, []

    def watched_claim(*args: Any) -> list[int]:
        if len(seen) == 1:  # the first row has gone: its mark must be in meanwhile
            seen.append(_until_sent(app, 1))
        else:
            seen.append(True)
        return claim(*args)

    monkeypatch.setattr(store, "claim", watched_claim)
    try:
        counts = run_pass(app, NOW)
    finally:
        with app.app_context():
            db.engine.dispose()
    assert counts.sent == 2 and len(smtp_server.messages) == 2
    assert seen[:2] == [True, True]
