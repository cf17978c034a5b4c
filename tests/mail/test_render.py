"""Rendered emails: stored snapshots, one render per revision, escaping, no third-party links.

Snapshots live in tests/mail/snapshots/. After an intended change to a layout, a text or a
lesson, regenerate them with `UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/mail` and review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from service.course.content import LessonFile, load_lessons
from service.mail.compose import (
    already_subscribed_content,
    confirmation_content,
    newsletter_content,
)
from service.mail.render import (
    TEMPLATES_DIR,
    ClinicSettings,
    Content,
    Personal,
    RenderError,
    lesson_content,
    personalise,
    render,
    render_lesson,
)

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).parent / "snapshots"
LESSONS = load_lessons(ROOT / "lessons")
SETTINGS = ClinicSettings(
    name="Calm Hands Massage",
    postal_address="12 Elm Street, Springfield, IL 62701",
    phone="(217) 555-0134",
    booking_url="https://calmhands.example/book",
)
MARIA = Personal(
    first_name="Maria",
    unsubscribe_url="http://localhost/unsubscribe/TOKEN",
    preferences_url="http://localhost/preferences/TOKEN",
    action_url="http://localhost/confirm/TOKEN",
)


def assert_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no snapshot {name}: run UPDATE_SNAPSHOTS=1 pytest tests/mail"
    assert actual == path.read_text(encoding="utf-8"), f"{name} changed; see the module docstring"


EMAILS: dict[str, Content] = {
    "confirmation": confirmation_content(SETTINGS.name),
    "already_subscribed": already_subscribed_content(SETTINGS.name),
    "newsletter-layout": newsletter_content(
        "Spring news from the clinic",
        "New evening hours, and a stretch for desk days.",
        "## New evening hours\n\nWe are now open until 8 pm on Thursdays.\n\n"
        "Questions? Call {clinic_name} at {clinic_phone}.",
    ),
    **{f"lesson-{lesson.order:02d}-{lesson.slug}": lesson_content(lesson.slug, lesson)
       for lesson in LESSONS},
}


@pytest.mark.parametrize("name", sorted(EMAILS))
def test_rendered_email_matches_its_snapshot(name: str) -> None:
    html, text = personalise(render(EMAILS[name], SETTINGS), MARIA)
    assert_snapshot(f"{name}.txt", text)
    assert_snapshot(f"{name}.html", html)


@pytest.mark.parametrize("name", sorted(EMAILS))
def test_every_email_has_the_footer_and_loads_nothing_from_third_parties(name: str) -> None:
    html, text = personalise(render(EMAILS[name], SETTINGS), MARIA)
    for part in (html, text):
        assert "12 Elm Street, Springfield, IL 62701" in part
        assert "not medical advice" in part
        assert "emergency room" in part
        assert "http://localhost/unsubscribe/TOKEN" in part
        assert "http://localhost/preferences/TOKEN" in part
    assert '<html lang="en"' in html
    assert "googleapis" not in html
    assert not re.search(r"""(src=|<link[^>]+href=|@import|url\()\s*["']?https?:""", html)
    assert "MAILSLOT" not in html + text


def test_lesson_placeholders_become_clinic_settings() -> None:
    recap = next(lesson for lesson in LESSONS if "{booking_url}" in lesson.body)
    html, text = personalise(render(lesson_content(recap.slug, recap), SETTINGS), MARIA)
    assert 'href="https://calmhands.example/book"' in html
    assert "(https://calmhands.example/book)" in text
    assert "Calm Hands Massage at (217) 555-0134" in text
    assert "{booking_url}" not in html + text


@pytest.mark.parametrize(
    ("first_name", "html_greeting", "text_greeting"),
    [
        ("Maria", "Hi Maria,", "Hi Maria,"),
        ("", "Hi there,", "Hi there,"),
        ("   ", "Hi there,", "Hi there,"),
        ("<script>alert(1)</script>", "Hi &lt;script&gt;alert(1)&lt;/script&gt;,",
         "Hi <script>alert(1)</script>,"),
        ("Zoë & Ann", "Hi Zoë &amp; Ann,", "Hi Zoë & Ann,"),
    ],
)
def test_greeting_is_personal_and_escaped(
    first_name: str, html_greeting: str, text_greeting: str
) -> None:
    html, text = personalise(
        render(EMAILS["confirmation"], SETTINGS), replace(MARIA, first_name=first_name)
    )
    assert html_greeting in html
    assert text.startswith(text_greeting + "\n")
    assert "<script>" not in html


def test_a_link_with_quotes_cannot_break_out_of_its_attribute() -> None:
    html, _ = personalise(
        render(EMAILS["confirmation"], SETTINGS),
        replace(MARIA, unsubscribe_url='http://localhost/u/"><script>x</script>'),
    )
    assert "<script>" not in html
    assert 'href="http://localhost/u/&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in html


class Revision:
    """Just the fields a lesson revision row has that rendering reads."""

    def __init__(self, id: int, lesson: LessonFile, body: str | None = None) -> None:
        self.id = id
        self.subject = lesson.subject
        self.preheader = lesson.preheader
        self.body = body or lesson.body
        self.sources = list(lesson.sources)
        self.content_hash = f"hash-{id}-{hash(self.body)}"


def test_a_revision_renders_once_and_an_edit_renders_again() -> None:
    lesson = LESSONS[0]
    first = render_lesson(lesson.slug, Revision(9001, lesson), SETTINGS)
    assert render_lesson(lesson.slug, Revision(9001, lesson), SETTINGS) is first
    edited = render_lesson(lesson.slug, Revision(9002, lesson, "## Edited\n\nNew words."), SETTINGS)
    assert "New words." in edited.html and "New words." not in first.html
    other_phone = replace(SETTINGS, phone="(217) 555-9999")
    again = render_lesson(lesson.slug, Revision(9001, lesson), other_phone)
    assert again is not first and "(217) 555-9999" in again.html
    # Two subscribers share the cached render but each gets their own name and links.
    maria, _ = personalise(first, MARIA)
    ann, _ = personalise(first, replace(MARIA, first_name="Ann", unsubscribe_url="http://l/u/ANN"))
    assert "Hi Maria," in maria and "Hi Ann," in ann and "http://l/u/ANN" in ann


def test_invalid_mjml_is_refused_with_the_lesson_named(tmp_path: Path) -> None:
    shutil.copy(TEMPLATES_DIR / "base.mjml", tmp_path / "base.mjml")
    (tmp_path / "lesson.mjml").write_text(
        '{% extends "base.mjml" %}{% block content %}<mj-text>{{ body_html }}{% endblock %}'
    )
    settings = replace(SETTINGS, templates_dir=str(tmp_path))
    with pytest.raises(RenderError, match="lesson 'what-is-sciatica'.*not valid MJML"):
        render(lesson_content("what-is-sciatica", LESSONS[0]), settings)


def test_a_missing_layout_is_refused_with_the_lesson_named(tmp_path: Path) -> None:
    settings = replace(SETTINGS, templates_dir=str(tmp_path))
    with pytest.raises(RenderError, match="lesson 'causes'.*lesson.mjml"):
        render(lesson_content("causes", LESSONS[1]), settings)


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no system Chromium (apt-get install chromium)")
@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_readable_on_a_phone_and_a_desktop(width: int, scheme: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    pages = {}
    for name in ("confirmation", "lesson-08-when-to-see-a-doctor"):
        html, _ = personalise(render(EMAILS[name], SETTINGS), MARIA)
        pages[name] = tmp_path / f"{name}.html"
        pages[name].write_text(html, encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)
            for path in pages.values():
                page.goto(path.as_uri())
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                size = page.evaluate(
                    "parseFloat(getComputedStyle(document.querySelector('p')).fontSize)"
                )
                assert size >= 16
                colours = page.evaluate(
                    """() => { const p = document.querySelector('p');
                    let el = p; let bg = 'rgba(0, 0, 0, 0)';
                    while (el && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
                      bg = getComputedStyle(el).backgroundColor; el = el.parentElement; }
                    return [getComputedStyle(p).color, bg]; }"""
                )
                assert contrast(*colours) >= 7, colours
        finally:
            browser.close()


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""

    def luminance(colour: str) -> float:
        channels = [int(x) / 255 for x in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
