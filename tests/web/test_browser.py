"""A real browser (Debian's Chromium through Playwright) against a real server: sign up by
keyboard, confirm from the email, change the send hour, and fit a 375 px phone screen."""

from __future__ import annotations

import re

from tests.smtp_server import SMTPServer
from tests.web.conftest import Site, subscriber
from tests.web.pages import needs_chromium

pytestmark = needs_chromium


def _fits_the_screen(page: object) -> bool:
    return bool(page.evaluate(  # type: ignore[attr-defined]
        "document.documentElement.scrollWidth <= window.innerWidth"))


def test_sign_up_confirm_and_choose_an_hour_without_javascript(
    site: Site, browser: object, smtp_server: SMTPServer
) -> None:
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(site.url + "/")
    page.get_by_label("Email address").click()
    page.keyboard.type("Browser.User@Example.com")
    page.keyboard.press("Tab")  # to the first name
    page.keyboard.type("Bea")
    page.keyboard.press("Tab")  # the honeypot is skipped: next is the consent box
    page.keyboard.press("Space")
    assert page.get_by_role("checkbox").is_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Check your inbox").wait_for()

    [mail] = smtp_server.wait_for("browser.user@example.com")
    text = mail.get_body(("plain",)).get_content()
    link = re.search(rf"{re.escape(site.url)}/confirm/\S+", text).group(0)
    page.goto(link)
    page.get_by_role("button", name="Yes, start my course").click()
    page.get_by_role("heading", name="You're in!").wait_for()

    page.get_by_role("link", name="your preferences page").click()
    page.get_by_label("Hour to send each lesson").select_option("7")
    page.get_by_role("button", name="Save my preferences").click()
    page.get_by_text("Your preferences are saved.").wait_for()
    bea = subscriber(site.app, "browser.user@example.com")
    assert (bea.status, bea.send_hour, bea.first_name) == ("active", 7, "Bea")
    preferences_url = page.url
    context.close()

    phone = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = phone.new_page()
    for url in (site.url + "/", preferences_url, site.url + "/embed"):
        page.goto(url)
        assert _fits_the_screen(page), f"horizontal scroll at 375 px on {url}"
    page.goto(site.url + "/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "keyboard focus must be visible"
    phone.close()


def test_errors_are_announced_next_to_their_field(site: Site, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(site.url + "/")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Sign up").click()
    email = page.get_by_label("Email address")
    assert email.get_attribute("aria-invalid") == "true"
    assert email.input_value() == "not an address"
    assert "does not look like an email" in page.get_by_role("alert").inner_text()
    page.close()
