"""The admin in Debian's Chromium with JavaScript off: a receptionist on a tablet logs in,
finds a patient by name, sees their lessons and the next send, and pauses them; an editor's
Preview button still shows the email. Screenshots go to test-artifacts/admin/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service.extensions import db
from service.models import Enrolment, Subscriber
from tests.web.admin.conftest import PASSWORD, ClinicSite
from tests.web.pages import needs_chromium, sideways

pytestmark = needs_chromium
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "admin"
TABLET = {"width": 768, "height": 1024}


def _log_in(page: Any, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_receptionist_finds_a_patient_and_pauses_them(
    clinic_site: ClinicSite, browser: Any
) -> None:
    url, app = clinic_site.url, clinic_site.app
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=TABLET, java_script_enabled=False)
    page = context.new_page()

    page.goto(url + "/admin/subscribers")  # a bookmark: the login page comes first
    _log_in(page, clinic_site.clinic.staff["editor"])
    page.get_by_role("heading", name="Patients").wait_for()
    assert page.url.endswith("/admin/subscribers")

    page.get_by_label("Name or email").fill("maria")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "maria.lopez@example.com" in rows.inner_text()
    assert sideways(page) <= 0, "the patient list scrolls sideways on a tablet"
    page.screenshot(path=str(SHOTS / "tablet-1-search.png"), full_page=True)

    page.get_by_role("link", name="Maria").click()
    page.get_by_role("heading", name="What comes next").wait_for()
    next_line = page.get_by_text("Next lesson:").inner_text()
    assert "Lesson 2" in next_line and "09:00" in next_line
    sent = page.locator("section[aria-labelledby=sent] table")
    assert "lesson" in sent.inner_text() and "sent" in sent.inner_text()
    assert sideways(page) <= 0, "the patient page scrolls sideways on a tablet"
    page.screenshot(path=str(SHOTS / "tablet-2-patient.png"), full_page=True)

    page.get_by_role("button", name="Pause the course").click()
    page.get_by_role("status").filter(has_text="Paused").wait_for()
    next_section = page.locator("section[aria-labelledby=next]").inner_text()
    assert "No lesson is scheduled: the course is paused" in next_section
    page.screenshot(path=str(SHOTS / "tablet-3-paused.png"), full_page=True)
    context.close()

    with app.app_context():
        maria = db.session.get(Subscriber, clinic_site.clinic.patients["Maria"])
        assert maria is not None and maria.paused
        assert db.session.get(Enrolment, maria.id).next_due_at is None  # type: ignore[union-attr]
        sam = db.session.get(Subscriber, clinic_site.clinic.patients["Sam"])
        assert sam is not None and not sam.paused


def test_without_javascript_the_preview_button_shows_the_email(
    clinic_site: ClinicSite, browser: Any
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(clinic_site.url + "/admin/lessons/techniques")
    _log_in(page, clinic_site.clinic.staff["editor"])
    body = page.get_by_label("Lesson text (Markdown)")
    body.fill("Quiet words for a plain test.\n\n" + body.input_value())
    page.get_by_role("button", name="Preview", exact=True).click()
    page.frame_locator("#email-preview").get_by_text("Quiet words for a plain test.").wait_for()
    page.screenshot(path=str(SHOTS / "editor-no-javascript.png"), full_page=True)
    context.close()
