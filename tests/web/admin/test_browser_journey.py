"""A staff day in Debian's Chromium, with JavaScript on, on a laptop: the receptionist logs
in with the keyboard alone, reads the dashboard, finds a patient, pauses and resumes their
course, opens a lesson, types into the editor and watches the live preview and the checks
follow, submits the edit and logs out; the clinician logs in and approves it, which makes
it the text patients get. The admin's CSP refuses nothing on the way. Screenshots go to
test-artifacts/admin/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.course.lineup import get_lesson
from service.extensions import db
from service.models import Subscriber
from tests.web.admin.conftest import PASSWORD, ClinicSite
from tests.web.pages import needs_chromium, tab_to, tab_to_button

pytestmark = needs_chromium
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "admin"
LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture
def laptop(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A laptop-sized window, and the CSP refusals its pages report (none expected)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page, refused
    context.close()


def _paused(site: ClinicSite, name: str) -> bool:
    with site.app.app_context():
        patient = db.session.get(Subscriber, site.clinic.patients[name])
        assert patient is not None
        return patient.paused


def _log_in_with_the_keyboard(page: Any, email: str) -> None:
    tab_to(page, "email")
    page.keyboard.type(email)
    tab_to(page, "password")
    page.keyboard.type(PASSWORD)
    tab_to_button(page, "Log in")
    page.keyboard.press("Enter")


def _receptionist_follows_a_patient(page: Any, site: ClinicSite) -> None:
    page.goto(site.url + "/admin/")  # a bookmark: the login page comes first
    page.get_by_role("heading", name="Staff log in").wait_for()
    _log_in_with_the_keyboard(page, site.clinic.staff["editor"])
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.url == site.url + "/admin/"
    assert page.locator("svg[role=img]").count() == 2  # signups per day; the course funnel
    counts = page.locator("section[aria-labelledby=counts]").inner_text()
    assert "Paused\n1" in counts and "Unsubscribed\n1" in counts, counts
    page.screenshot(path=str(SHOTS / "journey-1-dashboard.png"), full_page=True)

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Patients").click()
    page.get_by_label("Name or email").fill("maria")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "maria.lopez@example.com" in rows.inner_text()
    page.get_by_role("link", name="Maria").click()
    page.get_by_role("heading", name="What comes next").wait_for()
    assert "Lesson 2" in page.get_by_text("Next lesson:").inner_text()

    page.get_by_role("button", name="Pause the course").click()
    page.get_by_role("status").filter(has_text="Paused").wait_for()
    assert "the course is paused" in page.locator("section[aria-labelledby=next]").inner_text()
    assert _paused(site, "Maria")
    page.get_by_role("button", name="Resume the course").click()
    page.get_by_role("status").filter(has_text="Resumed").wait_for()
    assert "Lesson 2" in page.get_by_text("Next lesson:").inner_text()
    assert not _paused(site, "Maria")
    done = page.locator("section[aria-labelledby=staff]").inner_text()
    assert "Paused the course by rita@clinic.example" in done
    assert "Resumed the course by rita@clinic.example" in done
    page.screenshot(path=str(SHOTS / "journey-2-patient.png"), full_page=True)


def _receptionist_edits_a_lesson(page: Any) -> None:
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Lessons").click()
    assert page.locator("table.lessons tbody tr").count() == 11
    page.locator("#lesson-techniques").get_by_role("link").first.click()
    page.get_by_role("heading", name="Lesson 4: techniques").wait_for()
    frame = page.frame_locator("#email-preview")
    frame.get_by_text("Hi Maria,").wait_for()

    body = page.get_by_label("Lesson text (Markdown)")
    text = body.input_value()
    body.click()
    body.press("Control+Home")
    page.keyboard.type("Zebra stripes guaranteed. ")
    frame.get_by_text("Zebra stripes guaranteed.").wait_for()
    page.locator("#checks mark", has_text="guaranteed").wait_for()
    assert "cannot be published" in page.locator("#checks").inner_text()
    assert page.locator("#checks-status").text_content() == "Lesson check: 1 problem found"
    page.locator("#email-preview").screenshot(path=str(SHOTS / "journey-3-preview.png"))
    page.screenshot(path=str(SHOTS / "journey-3-editor.png"), full_page=True)

    page.get_by_label("Phone (375 px)").check()
    page.wait_for_function(
        "document.getElementById('email-preview').getBoundingClientRect().width <= 376")
    frame.get_by_text("Zebra stripes guaranteed.").wait_for()
    page.get_by_label("Plain text").check()
    frame.locator("pre", has_text="Zebra stripes guaranteed.").wait_for()

    body.fill(text.replace("kneading dough", "kneading bread dough", 1))
    frame.locator("pre", has_text="kneading bread dough").wait_for()
    page.get_by_text("Lesson check: passes every check").wait_for()
    page.get_by_role("button", name="Save and submit for review").click()
    page.get_by_text("Draft sent for clinical review.").wait_for()
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out, on every device.").wait_for()
    page.goto(page.url.split("/admin")[0] + "/admin/lessons")
    page.get_by_role("heading", name="Staff log in").wait_for()  # the session is over


def _clinician_approves(page: Any, site: ClinicSite) -> None:
    page.get_by_label("Email").fill(site.clinic.staff["reviewer"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Lessons").wait_for()  # back where the login began
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Reviews").click()
    page.get_by_role("link", name="techniques").click()
    changed = page.locator("table.diff tr.diff-changed")
    assert "kneading bread dough" in changed.inner_text()
    assert "Zebra" not in page.locator("table.diff").inner_text()
    page.screenshot(path=str(SHOTS / "journey-4-review.png"), full_page=True)
    page.get_by_role("button", name="Approve and publish").click()
    page.get_by_text("is approved and published").wait_for()
    assert "Ana Ruiz, DPT" in page.locator("table").inner_text()
    page.screenshot(path=str(SHOTS / "journey-5-history.png"), full_page=True)


def test_a_staff_day_from_login_to_a_published_edit(
    clinic_site: ClinicSite, laptop: tuple[Any, list[str]]
) -> None:
    page, refused = laptop
    _receptionist_follows_a_patient(page, clinic_site)
    _receptionist_edits_a_lesson(page)
    _clinician_approves(page, clinic_site)
    assert refused == [], refused

    with clinic_site.app.app_context():
        lesson = get_lesson(db.session(), "techniques")
        assert lesson is not None and lesson.published is not None
        assert "kneading bread dough" in lesson.published.body
        assert lesson.published.review_credit.startswith("Reviewed by Ana Ruiz, DPT")
