"""A patient on a 375 px phone with JavaScript off, in Debian's Chromium: typo suggestions,
fixing the address, the time-zone picker, pause and resume, the consent box kept after an
error, a fresh link for an old one, and the unsubscribe page with pause. Each changed page is
kept as a screenshot in test-artifacts/pages/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service import tokens
from tests.smtp_server import SMTPServer
from tests.web.conftest import Site, subscriber
from tests.web.pages import needs_chromium
from tests.web.test_public import _token_from_the_past

pytestmark = needs_chromium
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A page in a phone-sized window with JavaScript off: every step must work without it."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=1,
                                  is_mobile=True, java_script_enabled=False)
    yield context.new_page()
    context.close()


def _shot(page: Any, name: str) -> None:
    """Keep the page as a 375 px screenshot, and check nothing scrolls sideways."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _link(smtp_server: SMTPServer, site: Site, email: str, kind: str, index: int = -1) -> str:
    found = smtp_server.wait_for(email, count=index + 1 if index >= 0 else 1)  # the worker sends
    text = found[index].get_body(("plain",)).get_content()
    return re.search(rf"{re.escape(site.url)}/{kind}/\S+", text).group(0)


def _sign_up(page: Any, site: Site, email: str, name: str = "Maria") -> None:
    page.goto(site.url + "/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("First name").fill(name)
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Sign up").click()


def _confirmed(page: Any, site: Site, smtp_server: SMTPServer, email: str) -> None:
    """Sign up and confirm; the page is left on the preferences page."""
    _sign_up(page, site, email)
    page.goto(_link(smtp_server, site, email, "confirm", 0))
    page.get_by_role("button", name="Yes, start my course").click()
    page.get_by_role("link", name="your preferences page").click()


def test_typo_suggestion_then_fix_the_address(
    site: Site, phone: Any, smtp_server: SMTPServer
) -> None:
    _sign_up(phone, site, "maria@gmial.con")
    phone.get_by_role("heading", name="Did you mean maria@gmail.com?").wait_for()
    assert phone.get_by_role("checkbox").is_checked()  # nothing they entered is lost
    assert smtp_server.messages == []  # nothing sent while the address is in doubt
    _shot(phone, "signup-typo-suggestion")
    phone.get_by_role("button", name="Yes, use maria@gmail.com").click()
    phone.get_by_role("heading", name="Check your inbox").wait_for()
    assert "maria@gmail.com" in phone.locator("main").inner_text()
    assert len(smtp_server.wait_for("maria@gmail.com")) == 1

    phone.get_by_text("Wrong address? Fix it").click()  # <details>: no script needed
    _shot(phone, "check-inbox-fix-it")
    phone.get_by_label("Email address").fill("maria.lopez@gmail.com")
    assert phone.get_by_role("checkbox").is_checked()
    phone.get_by_role("button", name="Sign up").click()
    phone.get_by_text("maria.lopez@gmail.com").wait_for()
    assert len(smtp_server.wait_for("maria.lopez@gmail.com")) == 1


def test_keeping_the_typed_address(site: Site, phone: Any, smtp_server: SMTPServer) -> None:
    _sign_up(phone, site, "maria@hotmial.com")
    phone.get_by_role("button", name="No, keep maria@hotmial.com").click()
    phone.get_by_role("heading", name="Check your inbox").wait_for()
    assert subscriber(site.app, "maria@hotmial.com") is not None


def test_the_consent_box_is_kept_after_an_error(site: Site, phone: Any) -> None:
    _sign_up(phone, site, "maria at example")
    phone.get_by_role("alert").wait_for()
    assert phone.get_by_label("Email address").input_value() == "maria at example"
    assert phone.get_by_label("First name").input_value() == "Maria"
    assert phone.get_by_role("checkbox").is_checked()
    _shot(phone, "signup-error-consent-kept")


def test_time_zone_picker_pause_and_resume(
    site: Site, phone: Any, smtp_server: SMTPServer
) -> None:
    _confirmed(phone, site, smtp_server, "maria@example.com")
    zone = phone.get_by_label("Time zone")
    first = zone.locator("option").first
    assert first.inner_text() == "Central Time (Chicago)"  # the clinic's zone, first
    assert zone.evaluate("s => s.options[s.selectedIndex].text") == "Central Time (Chicago)"
    assert phone.get_by_text(re.compile(r"Lesson 1 of \d+ done\. Next: lesson 2")).is_visible()
    _shot(phone, "preferences")
    zone.select_option(label="Central European Time (Paris)")
    phone.get_by_label("Hour to send each lesson").select_option(label="7\u202fAM")
    phone.get_by_role("button", name="Save my preferences").click()
    phone.get_by_text("Your preferences are saved.").wait_for()
    maria = subscriber(site.app, "maria@example.com")
    assert (maria.timezone, maria.send_hour) == ("Europe/Paris", 7)

    phone.get_by_role("button", name="Pause until I resume").click()
    phone.get_by_text("Paused: lesson 2 waits until you resume.").wait_for()
    assert subscriber(site.app, "maria@example.com").paused
    _shot(phone, "preferences-paused")
    phone.get_by_role("button", name="Resume", exact=True).click()
    phone.get_by_text("Your emails are back on.").wait_for()
    phone.get_by_text(re.compile(r"Next: lesson 2, \w+ at 7")).wait_for()
    assert not subscriber(site.app, "maria@example.com").paused

    phone.get_by_role("button", name="Pause for a week").click()
    phone.get_by_text(re.compile(r"Paused until \w+day")).wait_for()
    assert subscriber(site.app, "maria@example.com").paused_until is not None


def test_an_expired_link_offers_a_fresh_one(
    site: Site, phone: Any, smtp_server: SMTPServer
) -> None:
    _confirmed(phone, site, smtp_server, "maria@example.com")
    public_id = subscriber(site.app, "maria@example.com").public_id
    old = _token_from_the_past(tokens.PREFERENCES, public_id, 400 * 24 * 3600)
    phone.goto(f"{site.url}/preferences/{old}")
    phone.get_by_role("heading", name="This link has expired").wait_for()
    _shot(phone, "expired-link")
    phone.get_by_label("Your email address").fill("maria@example.com")
    sent = len(smtp_server.wait_for("maria@example.com", count=2))  # confirmation, lesson 1
    phone.get_by_role("button", name="Email me a fresh link").click()
    phone.get_by_text("a fresh link is on its way").wait_for()
    _shot(phone, "fresh-link-sent")
    assert len(smtp_server.wait_for("maria@example.com", count=sent + 1)) == sent + 1
    phone.goto(_link(smtp_server, site, "maria@example.com", "preferences"))
    phone.get_by_role("heading", name="Your preferences").wait_for()


def test_the_unsubscribe_page_offers_a_pause(
    site: Site, phone: Any, smtp_server: SMTPServer
) -> None:
    _confirmed(phone, site, smtp_server, "maria@example.com")
    confirm = _link(smtp_server, site, "maria@example.com", "confirm", 0)
    phone.goto(_link(smtp_server, site, "maria@example.com", "unsubscribe"))
    assert "maria@example.com" in phone.locator("main").inner_text()
    _shot(phone, "unsubscribe")
    phone.get_by_role("button", name="Pause for a week instead").click()
    phone.get_by_role("heading", name="Your course is paused").wait_for()
    assert re.search(r"paused until \w+day", phone.locator("dl").inner_text())
    assert subscriber(site.app, "maria@example.com").status == "active"
    _shot(phone, "unsubscribe-paused")

    phone.go_back()
    phone.reload()
    phone.get_by_role("button", name="Leave the course only").click()
    phone.get_by_role("heading", name="You have left the course").wait_for()
    assert phone.get_by_role("button", name="Leave the course only").count() == 0
    _shot(phone, "unsubscribe-left-course")
    phone.get_by_role("button", name="Stop all emails").click()
    phone.get_by_role("heading", name="You are unsubscribed").wait_for()
    _shot(phone, "unsubscribed")

    phone.goto(confirm)  # the old confirmation link says up front what it will do
    phone.get_by_role("heading", name="This link will not restart the course").wait_for()
    assert phone.get_by_role("button", name="Yes, start my course").count() == 0
    _shot(phone, "confirm-after-unsubscribing")
