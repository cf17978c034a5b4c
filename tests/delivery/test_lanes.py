"""One outbox, three lanes: a newsletter fans out once, however often it is queued, and a
confirmation queued behind 10,000 newsletter rows still goes first."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from service.delivery import store
from service.delivery.dispatch import run_pass, run_transactional_pass
from service.delivery.job import Stop
from service.delivery.queueing import queue_newsletter, queue_test, queue_transactional
from service.extensions import db
from service.models import (
    Delivery,
    Lane,
    MessageKind,
    NewsletterIssue,
    Subscriber,
    SubscriberStatus,
    utcnow,
)
from tests.conftest import make_app
from tests.delivery.factories import add_course, add_subscriber, seed_subscribers
from tests.smtp_server import SMTPServer

BACKLOG = 10_000


@pytest.fixture
def mail_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _issue(app: Flask) -> int:
    with app.app_context():
        issue = NewsletterIssue(subject="Spring news", preheader="", body="We now open at 8.")
        db.session.add(issue)
        db.session.commit()
        return issue.id


def _fan_out(app: Flask, issue_id: int) -> int:
    with app.app_context():
        issue = db.session.get(NewsletterIssue, issue_id)
        assert issue is not None
        added = queue_newsletter(db.session, issue, utcnow())
        db.session.commit()
        return added


def test_a_newsletter_fans_out_once_to_those_who_want_it(mail_app: Flask) -> None:
    with mail_app.app_context():
        seed_subscribers(db.session, 20, utcnow(), "yes", newsletter=True, enrolled=False)
        seed_subscribers(db.session, 5, utcnow(), "no", newsletter=False, enrolled=False)
        for prefix, change in (("p", {"paused": True}),
                               ("u", {"status": SubscriberStatus.UNSUBSCRIBED}),
                               ("s", {"status": SubscriberStatus.PENDING})):
            row = add_subscriber(db.session, f"{prefix}@example.com", utcnow(), enrolled=False)
            row.newsletter_enabled = True
            for name, value in change.items():
                setattr(row, name, value)
        db.session.commit()
    assert _fan_out(mail_app, _issue(mail_app)) == 20
    assert _fan_out(mail_app, 1) == 0  # again: nobody twice
    with mail_app.app_context():
        issue = db.session.get(NewsletterIssue, 1)
        assert issue is not None and issue.status == "sending" and issue.sent_at is not None
        wanted = db.session.scalars(select(Subscriber.email).join(
            Delivery, Delivery.subscriber_id == Subscriber.id)).all()
        assert all(email.startswith("yes") for email in wanted)


def test_a_confirmation_behind_ten_thousand_newsletter_rows_goes_first(
    mail_app: Flask, smtp_server: SMTPServer
) -> None:
    now = utcnow()
    with mail_app.app_context():
        add_course(db.session, 1)
        seed_subscribers(db.session, BACKLOG, now, "news", newsletter=True, enrolled=False)
        add_subscriber(db.session, "lesson@example.com", now)  # lesson 1 due
        db.session.commit()
    assert _fan_out(mail_app, _issue(mail_app)) == BACKLOG
    with mail_app.app_context():
        newcomer = add_subscriber(db.session, "new@example.com", now, enrolled=False)
        newcomer.status = SubscriberStatus.PENDING
        queue_transactional(db.session, newcomer, MessageKind.CONFIRMATION, utcnow())
        db.session.commit()

    # The worker's fast poll: only the transactional lane, however long the backlog.
    start = time.monotonic()
    fast = run_transactional_pass(mail_app, utcnow())
    assert fast.sent == 1 and time.monotonic() - start < 3
    assert [str(m["To"]) for m in smtp_server.messages] == ["Pat <new@example.com>"]

    # A full pass: whatever is urgent first. Stop it once a few messages have gone.
    with mail_app.app_context():
        queue_test(db.session, "editor@calmhands.example", utcnow(), newsletter_issue_id=1)
        db.session.commit()
    stop = Stop()

    def watch() -> None:
        while len(smtp_server.messages) < 4 and not stop.wait(0.01):
            pass
        stop.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    run_pass(mail_app, utcnow(), stop)
    watcher.join()
    order = [str(m["To"]) for m in smtp_server.messages]
    assert order[1] == "editor@calmhands.example"  # transactional: the test send
    assert order[2].endswith("<lesson@example.com>")  # then lessons
    assert all("news" in to for to in order[3:])  # then the newsletter
    with mail_app.app_context():
        left = db.session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.status == "queued"))
        assert left is not None and left > BACKLOG - 100  # stopped early, the rest wait


def test_a_claim_behind_a_large_backlog_reads_only_the_rows_it_takes(mail_app: Flask) -> None:
    with mail_app.app_context():
        seed_subscribers(db.session, 2_000, utcnow(), "news", newsletter=True, enrolled=False)
        db.session.commit()
    _fan_out(mail_app, _issue(mail_app))  # every row due at the same instant
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().startswith("WITH"):
            statements.append((statement, parameters))

    with mail_app.app_context():
        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            claimed = store.claim(db.session(), utcnow(), 50, frozenset(Lane))
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        assert claimed == list(range(1, 51))  # the claim's order: oldest due, then id
        (statement, parameters), = statements
        postgres = db.engine.dialect.name == "postgresql"
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        plan = " ".join(str(row[-1]) for row in db.session.connection().exec_driver_sql(
            explain + statement, parameters))
        db.session.rollback()
    # The index hands rows over in claim order: nothing sorts the whole queue.
    assert "Sort" not in plan if postgres else "TEMP B-TREE" not in plan, plan


def test_a_claim_takes_neighbouring_lanes_only(mail_app: Flask) -> None:
    with mail_app.app_context(), pytest.raises(ValueError, match="neighbouring lanes"):
        store.claim(db.session(), utcnow(), 50, {Lane.TRANSACTIONAL, Lane.NEWSLETTERS})
