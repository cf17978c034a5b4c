"""Every lesson email in a real browser (Debian's Chromium through Playwright), at a phone's
375 px and a desktop's 600 px: no sideways scroll, readable text, drawings loaded from the
service itself. Screenshots go to test-artifacts/emails/ for a person to look at."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from werkzeug.serving import make_server

from service.course.content import load_lessons
from service.extensions import db
from service.mail.compose import confirmation_content
from service.mail.render import (
    ClinicSettings,
    Content,
    Personal,
    lesson_content,
    personalise,
    places,
    render,
)
from tests.conftest import make_app
from tests.smtp_server import free_port

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"{CHROMIUM} is missing: install Debian's chromium (make browser) to see the emails",
)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "emails"
LESSONS = load_lessons(ROOT / "lessons")
PLACES = places([lesson.subject for lesson in LESSONS])
EMAILS: dict[str, Content] = {
    "confirmation": confirmation_content("Calm Hands Massage"),
    **{f"lesson-{lesson.order:02d}-{lesson.slug}": lesson_content(lesson.slug, lesson, place)
       for lesson, place in zip(LESSONS, PLACES, strict=True)},
}
GREETING = "[...document.querySelectorAll('p')].find(p => p.textContent.includes('Hi Maria'))"
MARIA = Personal("Maria", "http://localhost/unsubscribe/TOKEN",
                 "http://localhost/preferences/TOKEN", "http://localhost/confirm/TOKEN")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app on loopback, serving the drawings' PNGs the emails point at."""
    tmp_path = tmp_path_factory.mktemp("emails")
    (tmp_path / "instance").mkdir()
    logo = Image.new("RGB", (240, 80), "#1b5e4f")  # a clinic's logo, twice its shown size
    logo.save(tmp_path / "instance" / "logo.png")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(f"sqlite:///{tmp_path / 'emails.sqlite3'}", tmp_path, BASE_URL=url)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join()
    server.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def pages(service: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each email rendered as a delivery would, written to a file the browser opens."""
    settings = ClinicSettings(
        name="Calm Hands Massage", postal_address="12 Elm Street, Springfield, IL 62701",
        phone="(217) 555-0134", booking_url="https://calmhands.example/book", base_url=service,
        logo_url=f"{service}/clinic/logo.png",
    )
    folder = tmp_path_factory.mktemp("html")
    written = {}
    for name, content in EMAILS.items():
        html, _ = personalise(render(content, settings), MARIA)
        written[name] = folder / f"{name}.html"
        written[name].write_text(html, encoding="utf-8")
    return written


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("name", sorted(EMAILS))
def test_each_email_fits_and_shows_its_drawings(
    browser: Any, pages: dict[str, Path], name: str, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        page.goto(pages[name].as_uri(), wait_until="load")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "scrolls sideways"
        size = page.evaluate(f"parseFloat(getComputedStyle({GREETING}).fontSize)")
        assert size >= 16
        drawings = page.evaluate(
            """() => [...document.images].map(i => [i.currentSrc, i.complete && i.naturalWidth,
                       i.alt, i.getBoundingClientRect().right])"""
        )
        logo, *drawings = drawings
        assert logo[0].endswith("/clinic/logo.png") and logo[1] and logo[2] == ""
        assert page.evaluate("document.images[0].getBoundingClientRect().height") == 40
        for src, loaded, alt, right in drawings:
            assert loaded, f"{src} did not load"
            assert right <= width, f"{src} sticks out of the screen"
            assert alt, f"{src} has no alt text"
        assert len(drawings) == len(re.findall(r"!\[", EMAILS[name].body))
        # Every link on the page (sources included) stays inside the screen.
        widest = page.evaluate(
            "Math.max(0, ...[...document.links].map(a => a.getBoundingClientRect().right))")
        assert widest <= width
    finally:
        page.close()


@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_is_readable_in_light_and_dark_mode(
    browser: Any, pages: dict[str, Path], width: int, scheme: str
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)
    try:
        for name in ("confirmation", "lesson-10-when-to-see-a-doctor"):
            page.goto(pages[name].as_uri())
            for selector in ("p", ".key-points li", ".urgent strong", ".footer-links a"):
                if page.locator(selector).count() == 0:
                    continue
                colours = page.evaluate(
                    """(selector) => { const p = selector === 'p' ? """ + GREETING + """
                                                 : document.querySelector(selector);
                    let el = p; let bg = 'rgba(0, 0, 0, 0)';
                    while (el && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
                      bg = getComputedStyle(el).backgroundColor; el = el.parentElement; }
                    return [getComputedStyle(p).color, bg]; }""", selector
                )
                assert contrast(*colours) >= 4.5, (name, selector, colours)
                if selector == "p":
                    assert contrast(*colours) >= 7, (name, colours)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-{scheme}.png"), full_page=True)
    finally:
        page.close()


def test_the_footer_links_are_large_enough_to_tap_on_a_phone(
    browser: Any, pages: dict[str, Path]
) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 800})
    try:
        page.goto(pages["lesson-01-what-is-sciatica"].as_uri())
        for label in ("Unsubscribe", "Change your preferences"):
            box = page.get_by_role("link", name=label).bounding_box()
            assert box is not None and box["height"] >= 40, (label, box)
        booking = page.locator(".booking a")
        for index in range(booking.count()):
            box = booking.nth(index).bounding_box()
            assert box is not None and box["height"] >= 44
    finally:
        page.close()


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""

    def luminance(colour: str) -> float:
        channels = [int(x) / 255 for x in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
