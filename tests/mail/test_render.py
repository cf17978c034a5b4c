"""Rendered emails: stored snapshots, one render per revision, escaping, no third-party links.

Snapshots live in tests/mail/snapshots/. After an intended change to a layout, a text or a
lesson, regenerate them with `UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/mail` and review the diff.
"""

from __future__ import annotations

import os
import quopri
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from markupsafe import escape

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
    personalise_quoted,
    places,
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
    base_url="http://localhost",
)
PLACES = places([lesson.subject for lesson in LESSONS])
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
    **{f"lesson-{lesson.order:02d}-{lesson.slug}": lesson_content(lesson.slug, lesson, place)
       for lesson, place in zip(LESSONS, PLACES, strict=True)},
}


@pytest.mark.parametrize("name", sorted(EMAILS))
def test_rendered_email_matches_its_snapshot(name: str) -> None:
    html, text = personalise(render(EMAILS[name], SETTINGS), MARIA)
    assert_snapshot(f"{name}.txt", text)
    assert_snapshot(f"{name}.html", html)


@pytest.mark.parametrize("name", sorted(EMAILS))
@pytest.mark.parametrize("person", [
    MARIA,
    replace(MARIA, first_name="Zoë <b>&</b>", action_url=""),
    replace(MARIA, first_name="From Ann", unsubscribe_url="http://localhost/u/" + "x=y " * 40),
])
def test_each_message_encoded_from_the_cached_bodies_reads_as_personalised(
    name: str, person: Personal
) -> None:
    rendered = render(EMAILS[name], SETTINGS)
    html, text = personalise(rendered, person)
    quoted_html, quoted_text = personalise_quoted(rendered, person)
    assert rendered.quoted is rendered.quoted  # encoded once per render
    for quoted, plain in ((quoted_html, html), (quoted_text, text)):
        lines = quoted.split(b"\r\n")
        assert quoted.isascii() and max(len(line) for line in lines) <= 76
        assert not any(line.startswith(b"From ") for line in lines)
        decoded = quopri.decodestring(quoted.replace(b"\r\n", b"\n")).decode()
        assert decoded == plain if plain.endswith("\n") else decoded == plain + "\n"


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
    # Pictures come from the service itself (BASE_URL), never from anyone else.
    loads = re.findall(r"""(?:src=|<link[^>]+href=|@import|url\()\s*["']?(https?:[^"')\s]+)""",
                       html)
    assert all(url.startswith("http://localhost/course/images/") for url in loads), loads
    assert "MAILSLOT" not in html + text


def test_lesson_placeholders_become_clinic_settings() -> None:
    recap = LESSONS[-1]
    assert "{booking_button}" in recap.body
    html, text = personalise(render(lesson_content(recap.slug, recap), SETTINGS), MARIA)
    assert 'href="https://calmhands.example/book"' in html
    assert "Book a visit: https://calmhands.example/book" in text
    assert "{" not in html.split("<body")[1].split("<style")[0] + text


def test_the_exercise_card_link_is_absolute_on_the_service() -> None:
    stretches = next(lesson for lesson in LESSONS if "{exercise_card_url}" in lesson.body)
    html, text = personalise(render(lesson_content(stretches.slug, stretches), SETTINGS), MARIA)
    assert 'href="http://localhost/course/exercises"' in html
    assert "http://localhost/course/exercises" in text


@pytest.mark.parametrize("index", range(len(LESSONS)))
def test_each_lesson_says_where_it_stands_and_what_comes_next(index: int) -> None:
    lesson, place = LESSONS[index], PLACES[index]
    html, text = personalise(render(lesson_content(lesson.slug, lesson, place), SETTINGS), MARIA)
    label = f"Lesson {index + 1} of {len(LESSONS)} · about "
    assert re.match(rf"{label}\d+ minutes to read\n\nHi Maria,\n", text)
    assert html.index(label) < html.index("Hi Maria,")
    if index + 1 < len(LESSONS):
        upcoming = escape(LESSONS[index + 1].subject)
        assert f"<strong>Next:</strong> {upcoming}" in html
        assert f"Next: {LESSONS[index + 1].subject}" in text
        assert text.index("Next:") < text.index("Sources\n")
    else:
        assert "Next:" not in html + text  # the last lesson points nowhere


def test_sources_are_links_and_the_key_points_a_box() -> None:
    lesson = LESSONS[0]
    html, text = personalise(render(EMAILS["lesson-01-what-is-sciatica"], SETTINGS), MARIA)
    assert '<a href="https://www.nhs.uk/conditions/sciatica/"' in html
    assert ">NHS. Sciatica.</a>" in html
    assert "- NHS. Sciatica. https://www.nhs.uk/conditions/sciatica/" in text
    assert 'class="key-points"' in html and "KEY POINTS" in text
    assert lesson.sources


def test_the_footer_links_are_buttons_and_the_logo_is_optional() -> None:
    html, _ = personalise(render(EMAILS["confirmation"], SETTINGS), MARIA)
    assert "<img" not in html.split("Hi Maria")[0]
    unsubscribe = html.split('href="http://localhost/unsubscribe/TOKEN"')[1].split(">")[0]
    assert "padding:10px 16px" in unsubscribe and "border:1px solid" in unsubscribe
    logo = replace(SETTINGS, logo_url="http://localhost/clinic/logo.png")
    html, _ = personalise(render(EMAILS["confirmation"], logo), MARIA)
    header = html.split("Hi Maria")[0]
    assert '<img src="http://localhost/clinic/logo.png" alt=""' in header
    assert "Calm Hands Massage" in header  # the name still says who writes


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
    # A longer course changes "Lesson N of M" though the revision stays the same.
    nine, eleven = places(["a"] * 9)[0], places(["a"] * 11)[0]
    in_nine = render_lesson(lesson.slug, Revision(9001, lesson), SETTINGS, nine)
    in_eleven = render_lesson(lesson.slug, Revision(9001, lesson), SETTINGS, eleven)
    assert "Lesson 1 of 9" in in_nine.text and "Lesson 1 of 11" in in_eleven.text
    assert render_lesson(lesson.slug, Revision(9001, lesson), SETTINGS, eleven) is in_eleven
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
