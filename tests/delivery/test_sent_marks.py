"""The "sent" marks of a sending thread (store.SentMarks) on each database: every mark is
in before the next message's content may go, and a stop it reads back withdraws the next
message of that issue. On PostgreSQL a mark is answered late (pg_marks.Deferred)."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select

from service.delivery import store
from service.extensions import db
from service.models import Delivery
from service.newsletter import fanout, issues, schedule
from tests.newsletter.helpers import draft, person

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
