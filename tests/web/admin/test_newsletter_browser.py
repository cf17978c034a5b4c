"""Composing and scheduling a newsletter in a real browser (Debian's Chromium through
Playwright), with the worker running beside the server and mail to a loopback SMTP server:
write with the live preview and checks, schedule and cancel, then send now and watch the
progress bar finish. Screenshots go to test-artifacts/admin/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from service.extensions import db
from service.models import utcnow
from tests.newsletter.helpers import person
from tests.smtp_server import SMTPServer
from tests.web.admin.conftest import PASSWORD, make_staff
from tests.web.conftest import Site
from tests.web.test_browser import pytestmark  # noqa: F401 - skip without Chromium

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "admin"
TEXT = "## Longer Saturdays\n\nWe now open at 8 on Saturdays. Book a visit when it suits you."


def write_issue(page: object, subject: str) -> None:
    """Open the compose page and type an issue, as staff would."""
    page.get_by_role("link", name="Write a new issue").click()  # type: ignore[attr-defined]
    page.get_by_label("Subject").fill(subject)  # type: ignore[attr-defined]
    page.get_by_label("Preheader").fill("Longer Saturdays")  # type: ignore[attr-defined]
    page.get_by_label("Text (Markdown)").fill(TEXT)  # type: ignore[attr-defined]


def test_compose_schedule_cancel_then_send_and_watch_it_go(
        site: Site, browser: object, smtp_server: SMTPServer) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    with site.app.app_context():
        for n in range(3):
            person(db.session, f"reader{n}@example.com", now)
        person(db.session, "student@example.com", now, course="in")
        db.session.commit()
    email = make_staff(site.app, "editor", display_name="Eve Editor")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(site.url + "/admin/newsletters")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Newsletter").wait_for()

    write_issue(page, "Winter hours")
    frame = page.frame_locator("#email-preview")
    frame.get_by_text("We now open at 8 on Saturdays.").wait_for()  # the live preview
    page.locator("#checks").get_by_text("Passes the health checks").wait_for()
    body = page.get_by_label("Text (Markdown)")
    body.press("End")
    body.type(" Massage will cure it.")
    page.locator("#checks mark", has_text="cure").wait_for()
    page.locator("#checks-status").get_by_text("1 health check tripped").wait_for()
    body.fill(TEXT)
    page.locator("#checks").get_by_text("Passes the health checks").wait_for()
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved.").wait_for()
    assert page.locator("#audience strong").inner_text() == "3"
    page.screenshot(path=str(ARTIFACTS / "newsletter-compose.png"), full_page=True)

    page.get_by_label("At a date and time in the clinic's zone").check()
    later = now + timedelta(days=3)
    page.get_by_label("Date and time", exact=True).fill(later.strftime("%Y-%m-%dT09:00"))
    page.get_by_role("button", name="Send or schedule").click()
    page.get_by_text("Scheduled. You can cancel it").wait_for()
    page.get_by_role("button", name="Cancel this issue").click()
    page.get_by_text("Cancelled: nothing of it was sent.").wait_for()

    page.get_by_role("link", name="All issues").click()
    write_issue(page, "Spring hours")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved.").wait_for()
    page.get_by_label("To send now: I confirm").check()
    page.get_by_role("button", name="Send or schedule").click()
    page.get_by_text("Queued for 3 patients").wait_for()
    # The worker sends; the page's progress bar follows and then shows the results.
    page.locator("#results").wait_for(timeout=20_000)
    assert page.locator("#results dd").first.inner_text() == "3"
    page.screenshot(path=str(ARTIFACTS / "newsletter-sent.png"), full_page=True)
    assert sorted(m["To"] for m in smtp_server.messages) == [
        f"Pat <reader{n}@example.com>" for n in range(3)]

    page.get_by_role("link", name="All issues").click()
    rows = page.locator("table.issues tbody tr")
    assert rows.count() == 2
    assert "sent" in rows.nth(0).inner_text() and "cancelled" in rows.nth(1).inner_text()
    assert refused == [], refused
    context.close()
