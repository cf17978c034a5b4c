"""The lesson editor in a real browser (Debian's Chromium through Playwright): log in, type in
the editor, watch the preview and the checks change, switch to the phone width; with
JavaScript off, the Preview button still shows the email. Screenshots go to
test-artifacts/admin/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from service.extensions import db
from tests.conftest import make_app
from tests.smtp_server import free_port
from tests.web.admin.conftest import PASSWORD, make_staff
from tests.web.conftest import load_course
from tests.web.test_browser import pytestmark  # noqa: F401 - skip without Chromium

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "admin"


class Site:
    def __init__(self, app: Flask, url: str, email: str) -> None:
        self.app, self.url, self.email = app, url, email


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(f"sqlite:///{tmp_path / 'browser.sqlite3'}", tmp_path, BASE_URL=url)
    load_course(app)
    email = make_staff(app, "editor", display_name="Eve Editor")
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(app, url, email)
    server.shutdown()
    thread.join()
    server.server_close()
    with app.app_context():
        db.engine.dispose()


def shot(page: object, name: str) -> None:
    """The page, and the preview frame on its own (a full-page capture can catch the frame
    before it paints)."""
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)  # type: ignore[attr-defined]
    page.locator("#email-preview").screenshot(  # type: ignore[attr-defined]
        path=str(ARTIFACTS / f"frame-{name}"))


def log_in(page: object, site: Site) -> None:
    page.goto(site.url + "/admin/lessons/techniques")  # type: ignore[attr-defined]
    page.get_by_label("Email").fill(site.email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Lesson 4: techniques").wait_for()  # type: ignore[attr-defined]


def test_typing_in_the_editor_updates_the_preview_and_the_checks(
    site: Site, browser: object
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    log_in(page, site)
    frame = page.frame_locator("#email-preview")
    frame.get_by_text("Hi Maria,").wait_for()
    shot(page, "editor-before.png")

    body = page.get_by_label("Lesson text (Markdown)")
    body.click()
    body.press("Control+Home")
    page.keyboard.type("Zebra stripes guaranteed. ")
    frame.get_by_text("Zebra stripes guaranteed.").wait_for(timeout=10_000)
    page.locator("#checks mark", has_text="guaranteed").wait_for(timeout=10_000)
    assert "cannot be published" in page.locator("#checks").inner_text()
    assert page.locator("#checks-status").text_content() == "Lesson check: 1 problem found"
    shot(page, "editor-typed.png")

    page.get_by_label("Phone (375 px)").check()
    page.wait_for_function(
        "document.getElementById('email-preview').getBoundingClientRect().width <= 376")
    frame.get_by_text("Zebra stripes guaranteed.").wait_for()
    shot(page, "editor-phone.png")

    page.get_by_label("Plain text").check()
    frame.locator("pre", has_text="Zebra stripes guaranteed.").wait_for()
    shot(page, "editor-text.png")
    assert refused == [], refused
    context.close()


def test_without_javascript_the_preview_button_shows_the_email(
    site: Site, browser: object
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    log_in(page, site)
    body = page.get_by_label("Lesson text (Markdown)")
    body.fill("Quiet words for a plain test.\n\n" + body.input_value())
    page.get_by_role("button", name="Preview", exact=True).click()
    page.frame_locator("#email-preview").get_by_text("Quiet words for a plain test.").wait_for()
    shot(page, "editor-no-javascript.png")
    context.close()


def test_an_editor_fixes_a_typo_and_a_reviewer_approves_it(site: Site, browser: object) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    reviewer = make_staff(site.app, "reviewer", display_name="Ana Ruiz", is_clinician=True,
                          credentials="DPT")
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    log_in(page, site)
    body = page.get_by_label("Lesson text (Markdown)")
    body.fill(body.input_value().replace("kneading dough", "kneading bread dough", 1))
    page.frame_locator("#email-preview").get_by_text("kneading bread dough").wait_for()
    page.get_by_role("button", name="Save and submit for review").click()
    page.get_by_text("Draft sent for clinical review.").wait_for()
    context.close()

    context = browser.new_context(viewport={"width": 1024, "height": 768})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(site.url + "/admin/reviews")
    page.get_by_label("Email").fill(reviewer)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="techniques").click()
    changed = page.locator("table.diff tr.diff-changed")
    assert "kneading bread dough" in changed.inner_text()
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "review-diff.png"), full_page=True)
    page.get_by_role("button", name="Approve and publish").click()
    page.get_by_text("is approved and published").wait_for()
    assert "Ana Ruiz, DPT" in page.locator("table").inner_text()
    page.screenshot(path=str(ARTIFACTS / "review-history.png"), full_page=True)
    page.goto(site.url + "/admin/lessons")
    page.screenshot(path=str(ARTIFACTS / "lessons-list.png"), full_page=True)
    context.close()
