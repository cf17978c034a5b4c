"""Requests only write: with a mail server that accepts and never answers, pages still answer
at once, no request opens an SMTP connection, and the mail goes once the server answers."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from service import tokens
from service.delivery.dispatch import run_pass, run_transactional_pass
from service.extensions import db
from service.models import Delivery, Subscriber, utcnow
from tests.conftest import make_app
from tests.delivery.factories import add_subscriber
from tests.smtp_server import HungServer
from tests.web.conftest import link_in, load_course, sign_up


def _timed(action: object) -> float:
    start = time.monotonic()
    action()  # type: ignore[operator]
    return time.monotonic() - start


def test_signup_and_one_click_unsubscribe_answer_at_once_while_smtp_hangs(
    database: str, tmp_path: Path
) -> None:
    with HungServer() as hung:
        # A request that waited on the mail server would take SMTP_TIMEOUT or longer; the
        # bound below leaves room for a loaded machine and still tells the two apart.
        app = make_app(database, tmp_path, SMTP_URL=hung.url, SMTP_TIMEOUT=5)
        load_course(app)
        with app.app_context():
            bo = add_subscriber(db.session, "bo@example.com", utcnow())
            db.session.commit()
            unsubscribe = tokens.make_token("test-secret-key", tokens.UNSUBSCRIBE, bo.public_id)
        browser, provider = app.test_client(), app.test_client(use_cookies=False)

        answers: list[object] = []
        signup = _timed(lambda: answers.append(sign_up(browser, "ann@example.com")))
        one_click = _timed(lambda: answers.append(provider.post(
            f"/unsubscribe/{unsubscribe}", data={"List-Unsubscribe": "One-Click"})))
        health = _timed(lambda: answers.append(browser.get("/healthz")))

        assert [a.status_code for a in answers] == [200, 200, 200]  # type: ignore[attr-defined]
        assert signup < 4 and one_click < 4 and health < 4
        assert hung.connections == []  # no request so much as connected to the mail server

        # The worker meets the silent server: one SMTP_TIMEOUT, then the row waits.
        waited = run_transactional_pass(app, utcnow())
        assert (waited.sent, waited.retried) == (0, 1)
        server = hung.answer()
    try:
        later = utcnow() + timedelta(minutes=3)  # past the first retry's backoff
        assert run_transactional_pass(app, later).sent == 1
        assert run_pass(app, later).sent == 0  # nothing twice; bo left, so no lesson either
        [confirmation] = server.messages_to("ann@example.com")
        assert link_in(confirmation, "confirm")
        assert server.messages_to("bo@example.com") == []
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


def test_confirming_queues_lesson_one_and_the_page_says_so(
    database: str, tmp_path: Path
) -> None:
    with HungServer() as hung:
        app = make_app(database, tmp_path, SMTP_URL=hung.url, SMTP_TIMEOUT=10)
        load_course(app)
        browser = app.test_client()
        sign_up(browser, "ann@example.com")
        with app.app_context():
            ann = db.session.scalars(select(Subscriber)).one()
            confirm = tokens.make_token("test-secret-key", tokens.CONFIRM, ann.public_id)
        start = time.monotonic()
        page = browser.post(f"/confirm/{confirm}")
        assert time.monotonic() - start < 5  # far below the SMTP_TIMEOUT a send would wait
        assert "Lesson 1 is on its way" in page.text
        with app.app_context():
            kinds = [(d.kind, d.status) for d in db.session.scalars(
                select(Delivery).order_by(Delivery.id))]
        assert kinds == [("confirmation", "queued"), ("lesson", "queued")]
        assert hung.connections == []
    with app.app_context():
        db.engine.dispose()
