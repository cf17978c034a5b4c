"""Patients who come back, or come early, each end with the right lesson at the right time:
after a hard bounce and erasure, after finishing the course, before any lesson exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.delivery.dispatch import run_pass
from service.extensions import db
from service.models import Delivery, Enrolment, Subscriber, utcnow
from tests.conftest import make_app
from tests.delivery.factories import add_subscriber
from tests.smtp_server import SMTPServer
from tests.web.conftest import WorkerClient, csrf_token, link_in, load_course, sign_up

CONFIRMATION = "Please confirm your email for the sciatica course"


def _subjects(server: SMTPServer, email: str = "ann@example.com") -> list[str]:
    return [str(m["Subject"]) for m in server.messages_to(email)]


def _confirm(web: FlaskClient, server: SMTPServer, email: str = "ann@example.com") -> str:
    """Press the button of the newest confirmation email; the page's text."""
    [*_, mail] = [m for m in server.messages_to(email) if m["Subject"] == CONFIRMATION]
    return web.post(link_in(mail, "confirm")).text


def _preferences(page: str) -> str:
    return re.search(r'href="(/preferences/[^"]+)"', page).group(1)  # type: ignore[union-attr]


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_an_erased_hard_bounced_address_gets_no_mail_after_signing_up_again(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "ann@example.com")
    smtp_server.reply_to("ann@example.com", "550 5.1.1 <ann@example.com>: no such user")
    page = _confirm(web, smtp_server)  # lesson 1 bounces: the address is suppressed
    path = _preferences(page)
    ask = web.get(f"{path}/delete")
    web.post(f"{path}/delete", data={"csrf_token": csrf_token(ask.text)})
    assert _count(mail_app, Subscriber) == 0
    del smtp_server.handler.replies["ann@example.com"]  # the server would accept now
    before = len(smtp_server.messages)

    again = sign_up(web, "ann@example.com")

    assert again.status_code == 200 and "Check your inbox" in again.text  # looks the same
    assert len(smtp_server.messages) == before  # yet nothing was sent
    assert _count(mail_app, Subscriber) == 0 and _count(mail_app, Delivery) == 0
    # A row that reaches the outbox another way (an import) is stopped at send time too.
    with mail_app.app_context():
        add_subscriber(db.session, "ann@example.com", utcnow())
        db.session.commit()
    counts = run_pass(mail_app, utcnow())
    assert (counts.sent, counts.cancelled) == (0, 1)
    assert len(smtp_server.messages) == before


def test_a_patient_who_finished_the_course_and_comes_back_is_offered_a_restart(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "ann@example.com")
    _confirm(web, smtp_server)
    start = utcnow()
    for hours in range(6, 24 * 12, 6):  # the worker, every six hours for twelve days
        run_pass(mail_app, start + timedelta(hours=hours))
    finished = len(_subjects(smtp_server)) - 1
    assert finished == 11  # the whole course
    unsubscribe = re.search(r"http://localhost(/unsubscribe/\S+)>",
                            str(smtp_server.messages_to("ann@example.com")[-1]["List-Unsubscribe"]))
    web.post(unsubscribe.group(1), data={"scope": "all"})  # type: ignore[union-attr]

    sign_up(web, "ann@example.com")
    page = _confirm(web, smtp_server)

    assert "already finished the course" in page and "on its way" not in page
    assert len(_subjects(smtp_server)) == finished + 2  # only the new confirmation
    restarted = web.post(re.search(r'action="(/preferences/[^"]+/restart)"', page).group(1),
                         data={"csrf_token": csrf_token(page)})
    assert restarted.status_code == 303
    assert _subjects(smtp_server)[-1] == _subjects(smtp_server)[1]  # lesson 1 again


@pytest.fixture
def empty_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    """No lesson published yet: the clinic is still writing the course."""
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    app.test_client_class = WorkerClient
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_confirming_before_any_lesson_is_published_waits_for_lesson_one(
    empty_app: Flask, smtp_server: SMTPServer
) -> None:
    web = empty_app.test_client()
    sign_up(web, "ann@example.com")
    page = _confirm(web, smtp_server)
    assert "on its way" not in page and "as soon as it is ready" in page
    run_pass(empty_app, utcnow() + timedelta(days=3))  # days go by, still nothing to send
    with empty_app.app_context():
        [enrolment] = db.session.scalars(select(Enrolment)).all()
        assert enrolment.completed_at is None and enrolment.next_due_at is not None
        db.session.commit()
    assert _subjects(smtp_server) == [CONFIRMATION]

    load_course(empty_app)
    run_pass(empty_app, utcnow() + timedelta(days=3, minutes=1))

    subjects = _subjects(smtp_server)
    assert len(subjects) == 2 and subjects[1] != CONFIRMATION
    with empty_app.app_context():
        enrolment = db.session.scalars(select(Enrolment)).one()
        assert enrolment.last_position_sent == 1 and enrolment.completed_at is None
