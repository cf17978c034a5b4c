"""The patient's whole journey in Debian's Chromium, every page and every email it brings
checked at 375 and 600 px (nothing scrolls sideways) and by axe-core (no serious or critical
violation); then signup and preference changes with the keyboard alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.smtp_server import SMTPServer
from tests.web.conftest import Site, subscriber
from tests.web.pages import check_page, needs_chromium, tab_to, tab_to_button

pytestmark = needs_chromium


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    # The pages' CSP allows no inline script: axe-core, the test's own, is let in past it.
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  bypass_csp=True)
    yield context.new_page()
    context.close()


def check_email(browser: Any, axe: str, message: Any, name: str) -> None:
    """The HTML part, opened as a mail client would show it, at each width."""
    html = message.get_body(("html",)).get_content()
    context = browser.new_context(viewport={"width": 375, "height": 740}, bypass_csp=True)
    page = context.new_page()
    page.set_content(html, wait_until="load")
    try:
        check_page(page, axe, f"email {name}")
    finally:
        context.close()


def _link(smtp: SMTPServer, site: Site, email: str, kind: str, count: int) -> str:
    mail = smtp.wait_for(email, count=count)[count - 1]  # the worker sends within a second
    text = mail.get_body(("plain",)).get_content()
    return re.search(rf"{re.escape(site.url)}/{kind}/\S+", text).group(0)


def test_the_patients_whole_journey(
    site: Site, browser: Any, phone: Any, smtp_server: SMTPServer, axe_source: str
) -> None:
    email = "maria@example.com"
    for path in ("/", "/embed", "/course/exercises", "/no-such-page"):
        phone.goto(site.url + path)
        check_page(phone, axe_source, path)

    phone.goto(site.url + "/")
    phone.get_by_label("Email address").fill(email)
    phone.get_by_label("First name").fill("Maria")
    phone.get_by_role("checkbox").check()
    phone.get_by_role("button", name="Sign up").click()
    phone.get_by_role("heading", name="Check your inbox").wait_for()
    check_page(phone, axe_source, "check inbox")

    phone.goto(_link(smtp_server, site, email, "confirm", 1))
    check_page(phone, axe_source, "confirm")
    phone.get_by_role("button", name="Yes, start my course").click()
    check_page(phone, axe_source, "confirmed")
    phone.get_by_role("link", name="your preferences page").click()
    phone.get_by_role("heading", name="Your preferences").wait_for()
    check_page(phone, axe_source, "preferences")

    phone.get_by_role("button", name="Pause until I resume").click()
    phone.get_by_text("Paused: lesson 2 waits until you resume.").wait_for()
    assert subscriber(site.app, email).paused
    check_page(phone, axe_source, "preferences, paused")
    phone.get_by_role("button", name="Resume", exact=True).click()
    phone.get_by_text("Your emails are back on.").wait_for()
    assert not subscriber(site.app, email).paused

    phone.get_by_role("link", name="Delete me and all my data").click()
    check_page(phone, axe_source, "delete")
    phone.go_back()
    phone.goto(_link(smtp_server, site, email, "unsubscribe", 2))
    check_page(phone, axe_source, "unsubscribe")
    phone.get_by_role("button", name="Stop all emails").click()
    phone.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert subscriber(site.app, email).status == "unsubscribed"
    check_page(phone, axe_source, "unsubscribed")

    phone.goto(site.url + "/confirm/not-a-real-link")
    check_page(phone, axe_source, "invalid link")
    phone.goto(site.url + "/links/fresh")  # GET of a POST-only address: the error page
    check_page(phone, axe_source, "method not allowed")

    for number, message in enumerate(smtp_server.messages_to(email), 1):
        check_email(browser, axe_source, message, f"{number}: {message['Subject']}")


def test_signup_and_preferences_with_the_keyboard_alone(
    site: Site, phone: Any, smtp_server: SMTPServer
) -> None:
    email = "kim@example.com"
    phone.goto(site.url + "/")
    tab_to(phone, "email")
    phone.keyboard.type(email)
    tab_to(phone, "first_name")
    phone.keyboard.type("Kim")
    tab_to(phone, "consent")
    phone.keyboard.press("Space")
    tab_to_button(phone, "Sign up")
    phone.keyboard.press("Enter")
    phone.get_by_role("heading", name="Check your inbox").wait_for()

    phone.goto(_link(smtp_server, site, email, "confirm", 1))
    tab_to_button(phone, "Yes, start my course")
    phone.keyboard.press("Enter")
    phone.get_by_role("link", name="your preferences page").wait_for()
    phone.goto(_link(smtp_server, site, email, "preferences", 2))
    phone.get_by_role("heading", name="Your preferences").wait_for()

    before = subscriber(site.app, email)
    tab_to(phone, "weekdays_only")
    phone.keyboard.press("Space")
    tab_to(phone, "newsletter_enabled")
    phone.keyboard.press("Space")
    tab_to_button(phone, "Save my preferences")
    phone.keyboard.press("Enter")
    phone.get_by_text("Your preferences are saved.").wait_for()
    after = subscriber(site.app, email)
    assert after.weekdays_only != before.weekdays_only
    assert after.newsletter_enabled != before.newsletter_enabled

    phone.evaluate("document.activeElement.blur()")  # start again from the top of the page
    tab_to_button(phone, "Pause for a week")
    phone.keyboard.press("Space")
    phone.get_by_text(re.compile(r"Paused until \w+day")).wait_for()
    assert subscriber(site.app, email).paused_until is not None
