"""Fixtures for the public pages: an app that mails through a real SMTP server on loopback,
with the real course loaded, and helpers that act as a person with a browser would."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from service.course.importer import import_lessons
from service.delivery.dispatch import run_pass
from service.delivery.job import Stop
from service.extensions import db
from service.models import Subscriber, utcnow
from tests.conftest import make_app
from tests.smtp_server import SMTPServer
from tests.web.pages import CHROMIUM, axe_script, local_url, serve

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def load_course(app: Flask) -> None:
    """The real course from lessons/, published."""
    with app.app_context():
        import_lessons(db.session, LESSONS, utcnow())
        db.session.commit()


class WorkerClient(FlaskClient):
    """A browser beside a running worker: after each request, the worker's pass runs.

    Requests only queue mail; this is what makes it reach the SMTP server in these tests,
    as the worker process does (within seconds) in production.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        run_pass(self.application, utcnow())
        return response


@contextmanager
def running_worker(app: Flask, every: float = 0.2) -> Iterator[None]:
    """The worker beside a served app: a dispatch pass every `every` seconds, in a thread."""
    stop = Stop()

    def loop() -> None:
        while not stop.wait(every):
            run_pass(app, utcnow(), stop)

    thread = threading.Thread(target=loop, name="worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


@pytest.fixture
def mail_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    """An app whose mail goes to the loopback SMTP server, with the course loaded."""
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    app.test_client_class = WorkerClient
    load_course(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def web(mail_app: Flask) -> FlaskClient:
    return mail_app.test_client()


def csrf_token(page: str) -> str:
    """The CSRF token a page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_up(
    client: FlaskClient, email: str, first_name: str = "Ann", consent: bool = True,
    **extra: str,
) -> TestResponse:
    """Open the signup page and submit it, as a person would."""
    page = client.get("/")
    data = {"csrf_token": csrf_token(page.text), "email": email, "first_name": first_name}
    if consent:
        data["consent"] = "yes"
    data.update(extra)
    return client.post("/subscribe", data=data)


def link_in(message: EmailMessage, kind: str) -> str:
    """The path of the first `kind` link (confirm, unsubscribe, preferences) in the text part."""
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(rf"http://localhost(/{kind}/[A-Za-z0-9._-]+)", body.get_content())
    assert found, f"no {kind} link in {message['Subject']!r}"
    return found.group(1)


def subscriber(app: Flask, email: str) -> Subscriber | None:
    """The stored subscriber row (detached, attributes loaded), or None."""
    with app.app_context():
        row = db.session.scalar(select(Subscriber).where(Subscriber.email == email))
        if row is not None:
            for consent in row.consents:
                db.session.expunge(consent)
            db.session.expunge(row)
        return row


class Site:
    """A real server on loopback for the browser tests: its app and its address."""

    def __init__(self, app: Flask, url: str) -> None:
        self.app, self.url = app, url


@pytest.fixture
def site(tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Site]:
    app = make_app(f"sqlite:///{tmp_path / 'browser.sqlite3'}", tmp_path,
                   SMTP_URL=smtp_server.url, BASE_URL=local_url())
    load_course(app)
    with serve(app) as url, running_worker(app):
        yield Site(app, url)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium through Playwright, one per test module (each test opens its own
    context); skips when Playwright is not installed."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, to inject into pages (see tests/web/pages.py)."""
    return axe_script()
