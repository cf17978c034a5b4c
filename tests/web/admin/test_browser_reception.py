"""A receptionist in a real browser (Debian's Chromium through Playwright), on a tablet,
without JavaScript: log in, find a patient by name, see their lessons and the next send,
pause them. Screenshots land in test-artifacts/admin/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from service.delivery.dispatch import run_pass
from service.extensions import db
from service.models import Enrolment, Subscriber, utcnow
from tests.conftest import make_app
from tests.delivery.factories import add_subscriber
from tests.smtp_server import free_port
from tests.web.admin.conftest import PASSWORD, make_staff
from tests.web.conftest import load_course
from tests.web.test_browser import pytestmark  # noqa: F401 - skip without Chromium

SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "admin"
TABLET = {"width": 768, "height": 1024}


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """A running site whose mail goes to the dev outbox, with a patient a day into the course."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(f"sqlite:///{tmp_path / 'reception.sqlite3'}", tmp_path, BASE_URL=url)
    load_course(app)
    make_staff(app, "editor", email="rita@clinic.example", display_name="Rita (reception)")
    with app.app_context():
        for email, name in (("maria.lopez@example.com", "Maria"), ("sam@example.com", "Sam")):
            add_subscriber(db.session, email, utcnow() - timedelta(minutes=5)).first_name = name
        db.session.commit()
    run_pass(app, utcnow())  # lesson 1 goes to both
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, url
    server.shutdown()
    thread.join()
    server.server_close()
    with app.app_context():
        db.engine.dispose()


def _fits(page: object) -> bool:
    return bool(page.evaluate(  # type: ignore[attr-defined]
        "document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_receptionist_finds_a_patient_and_pauses_them(
    clinic: tuple[Flask, str], browser: object
) -> None:
    app, url = clinic
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport=TABLET, java_script_enabled=False)
    page = context.new_page()

    page.goto(url + "/admin/subscribers")  # a bookmark: the login page comes first
    page.get_by_label("Email").fill("rita@clinic.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.screenshot(path=str(SHOTS / "1-login.png"))
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Patients").wait_for()
    assert page.url.endswith("/admin/subscribers")

    page.get_by_label("Name or email").fill("maria")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "maria.lopez@example.com" in rows.inner_text()
    assert _fits(page), "the patient list scrolls sideways on a tablet"
    page.screenshot(path=str(SHOTS / "2-search.png"), full_page=True)

    page.get_by_role("link", name="Maria").click()
    page.get_by_role("heading", name="What comes next").wait_for()
    next_line = page.get_by_text("Next lesson:").inner_text()
    assert "Lesson 2" in next_line and "09:00" in next_line
    sent = page.locator("#sent ~ div table, section[aria-labelledby=sent] table").first
    assert "lesson" in sent.inner_text() and "sent" in sent.inner_text()
    assert _fits(page), "the patient page scrolls sideways on a tablet"
    page.screenshot(path=str(SHOTS / "3-patient.png"), full_page=True)

    page.get_by_role("button", name="Pause the course").click()
    page.get_by_role("status").filter(has_text="Paused").wait_for()
    next_section = page.locator("section[aria-labelledby=next]").inner_text()
    assert "No lesson is scheduled: the course is paused" in next_section
    page.screenshot(path=str(SHOTS / "4-paused.png"), full_page=True)
    context.close()

    with app.app_context():
        maria = db.session.query(Subscriber).filter_by(email="maria.lopez@example.com").one()
        assert maria.paused
        assert db.session.get(Enrolment, maria.id).next_due_at is None  # type: ignore[union-attr]
        sam = db.session.query(Subscriber).filter_by(email="sam@example.com").one()
        assert not sam.paused


def test_the_dashboard_fits_a_laptop_and_a_tablet(
    clinic: tuple[Flask, str], browser: object
) -> None:
    _, url = clinic
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page.goto(url + "/admin/login")
    page.get_by_label("Email").fill("rita@clinic.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.locator("svg[role=img]").count() == 2
    page.screenshot(path=str(SHOTS / "5-dashboard-laptop.png"), full_page=True)
    page.set_viewport_size(TABLET)
    assert _fits(page)
    page.screenshot(path=str(SHOTS / "6-dashboard-tablet.png"), full_page=True)
    page.close()
