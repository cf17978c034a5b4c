"""The course lint: each rule catches a lesson that breaks it; the real course passes."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from service.course.check import LessonReport, check_directory, check_lesson, readability
from service.course.content import parse_lesson
from service.mail.render import TEMPLATES_DIR, ClinicSettings, Place

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ClinicSettings(
    name="Calm Hands Massage",
    postal_address="12 Elm Street, Springfield, IL 62701",
    phone="(217) 555-0134",
    booking_url="https://calmhands.example/book",
    base_url="https://calmhands.example",
)
GOOD = """---
order: 1
slug: stretches
subject: "Gentle stretches"
preheader: "Four easy moves."
sources:
  - "NHS. Sciatica. https://www.nhs.uk/conditions/sciatica/"
---
## Try this today

Lie on your back. Pull one knee to your chest. Hold it for a slow count of ten.

![A person lying on their back, hugging one knee to the chest](images/knee-to-chest.svg)

[Book a visit]({booking_url}) or read [the NHS page](https://www.nhs.uk/conditions/sciatica/).
Print [the exercise card]({exercise_card_url}).

{booking_button}

## Key points

- Move gently.
- Stop if it hurts more.
"""
HARD = (
    "Notwithstanding considerable methodological heterogeneity, contemporary systematic "
    "investigations demonstrate that therapeutic manipulation of musculoskeletal tissue "
    "occasionally ameliorates radicular symptomatology experienced by individuals "
    "presenting with lumbosacral nerve root compression."
)
PARTIAL = "Go to the emergency room if you have numbness between your legs."


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "knee-to-chest.svg").write_text('<svg viewBox="0 0 360 196"/>')
    return folder


def check(text: str, images: Path, settings: ClinicSettings = SETTINGS) -> LessonReport:
    return check_lesson(parse_lesson(text, "01.md"), settings, images)


def test_a_plain_lesson_passes(images: Path) -> None:
    report = check(GOOD, images)
    assert report.ok, report.messages
    assert report.grade is not None and report.grade <= 8
    assert report.smog is not None and report.smog > 0
    assert report.minutes is not None and report.minutes > 0


@pytest.mark.parametrize(
    ("old", "new", "rule", "problem"),
    [
        ("Lie on your back.", HARD, "grade", "reading grade"),
        ("Hold it", "Massage cures sciatica. Hold it", "claims", "'cures'"),
        ("Hold it", "This is a permanent fix. Hold it", "claims", "'permanent'"),
        ("Hold it", "Results are GUARANTEED. Hold it", "claims", "'guaranteed'"),
        ("Hold it", "Rest heals the nerve. Hold it", "claims", "'heals'"),
        ("Hold it", "This will get rid of pain. Hold it", "claims", "'get rid of'"),
        ('"Gentle stretches"', '"Stretches that cure you"', "claims", "'cure'"),
        ("sources:\n  - \"NHS. Sciatica. https://www.nhs.uk/conditions/sciatica/\"\n", "",
         "sources", "no sources"),
        ('"Gentle stretches"', '"' + "A very long subject line " * 3 + '"', "subject",
         "subject is 74 characters"),
        ("Hold it", PARTIAL + " Hold it", "emergency-signs", "leaves out: wiping"),
        ("[A person lying on their back, hugging one knee to the chest]", "[]", "picture-alt",
         "has no alt text"),
        ("images/knee-to-chest.svg", "images/cat-cow.svg", "picture-file",
         "no file cat-cow.svg"),
        ("images/knee-to-chest.svg", "https://cdn.example/knee.png", "picture-file",
         "must be a drawing in lessons/images/"),
        ("images/knee-to-chest.svg", "images/Knee.PNG", "picture-file", "images/NAME.svg"),
        ("\n\n![A person", " ![A person", "picture-line", "on its own line"),
        ("(https://www.nhs.uk/conditions/sciatica/)", "(/sciatica)", "link",
         "link is not an absolute http(s) URL: /sciatica"),
        ("(https://www.nhs.uk/conditions/sciatica/)", "(mailto:hi@example.com)", "link",
         "link is not an absolute http(s) URL: mailto:"),
        ("{booking_button}", "Here: {booking_button}", "placeholder", "alone on its own line"),
        ("{exercise_card_url}", "{exercise_card}", "placeholder",
         "unknown placeholder {exercise_card}"),
        ("## Key points", "## Summary", "sections", "no \u201c## Key points\u201d"),
        ("## Try this today", "## Try this", "sections", "no \u201c## Try this today\u201d"),
        ("- Move gently.\n- Stop if it hurts more.", "Move gently.", "sections",
         "followed by a bullet list"),
        ("Hold it", "In the next lesson, more. Hold it", "lesson-reference",
         "\u201cnext lesson\u201d: the email already ends with"),
        ("Hold it", "Tomorrow's email has more. Hold it", "lesson-reference", "Tomorrow's email"),
    ],
)
def test_each_rule_catches_a_lesson_that_breaks_it(
    old: str, new: str, rule: str, problem: str, images: Path
) -> None:
    assert old in GOOD
    report = check(GOOD.replace(old, new), images)
    assert not report.ok
    assert any(p.rule == rule and problem in p.message for p in report.problems), report.messages


@pytest.mark.parametrize("word", ["healthy", "curious", "secure", "permanence", "healing"])
def test_claims_are_whole_words(word: str, images: Path) -> None:
    report = check(GOOD.replace("Hold it", f"Stay {word}. Hold it"), images)
    assert report.ok, report.messages


def test_problems_carry_the_words_a_panel_highlights(images: Path) -> None:
    report = check(GOOD.replace("Hold it", f"{HARD} Massage CURES it. {PARTIAL} Hold it"), images)
    words = {p.rule: p.words for p in report.problems}
    assert HARD in words["grade"]  # the hardest sentences, as written
    assert words["claims"] == ("CURES",)
    assert words["emergency-signs"] == ("between your legs",)
    assert report.problems[0].as_dict()["rule"] == "grade"


@pytest.mark.parametrize(("words", "minutes"), [(130, 1.0), (260, 2.0), (65, 0.5)])
def test_reading_time_is_counted_at_130_words_a_minute(words: int, minutes: float) -> None:
    assert readability("Walk a bit. " * (words // 3) + "Rest" * (words % 3)).minutes == minutes


@pytest.mark.parametrize(("text", "ok"), [
    ("As lesson 2 showed, walk.", True),
    ("Lesson 11 has the full list.", True),
    ("Lesson 12 has the full list.", False),
    ("See lesson 0.", False),
    ("Rest tomorrow if it hurts.", True),
])
def test_lesson_numbers_must_exist_in_the_course(text: str, ok: bool, images: Path) -> None:
    lesson = parse_lesson(GOOD.replace("Hold it", f"{text} Hold it"), "01.md")
    report = check_lesson(lesson, SETTINGS, images, Place(1, 11, "Next one"))
    assert report.ok is ok, report.messages
    if not ok:
        assert "the course has 11 lessons" in report.messages[0]


def test_the_placeholders_count_as_absolute_links(images: Path) -> None:
    broken = replace(SETTINGS, booking_url="/book", base_url="")
    assert check(GOOD, images, broken).messages == [
        "link is not an absolute http(s) URL: /book",
        "link is not an absolute http(s) URL: /course/exercises",
    ]


def test_mjml_errors_fail_the_lesson(tmp_path: Path, images: Path) -> None:
    shutil.copy(TEMPLATES_DIR / "base.mjml", tmp_path / "base.mjml")
    (tmp_path / "lesson.mjml").write_text(
        '{% extends "base.mjml" %}{% block content %}<mj-text>{% endblock %}'
    )
    report = check(GOOD, images, replace(SETTINGS, templates_dir=str(tmp_path)))
    assert any("lesson 'stretches'" in p and "MJML" in p for p in report.messages)


def test_the_real_course_passes() -> None:
    course = check_directory(ROOT / "lessons", SETTINGS)
    assert len(course.lessons) == 11
    assert [r.messages for r in course.lessons if not r.ok] == []
    assert course.shared == [] and course.ok


def course_folder(tmp_path: Path, *bodies: str) -> Path:
    folder = tmp_path / "course"
    shutil.copytree(ROOT / "lessons", folder, ignore=shutil.ignore_patterns("*.md"))
    (folder / "images" / "knee-to-chest.svg").write_text('<svg viewBox="0 0 360 196"/>')
    for number, body in enumerate(bodies, 1):
        text = GOOD.replace("order: 1", f"order: {number}").replace(
            "slug: stretches", f"slug: lesson-{number}").replace("Lie on your back.", body)
        (folder / f"{number:02d}-lesson.md").write_text(text)
    return folder


def test_a_folder_reports_unreadable_files_and_duplicates(tmp_path: Path) -> None:
    folder = course_folder(tmp_path, "One.", "Two.")
    (folder / "03-c.md").write_text("no front matter here")
    (folder / "04-d.md").write_text(GOOD.replace("order: 1", "order: 4"))
    (folder / "05-e.md").write_text(GOOD.replace("order: 1", "order: 5"))
    first, second, fourth, fifth, third = check_directory(folder, SETTINGS).lessons
    assert first.ok and second.ok, first.messages + second.messages
    assert fifth.messages == ["slug 'stretches' is also used by 04-d.md"]
    assert third.slug == "03-c.md" and "no front matter" in third.messages[0]


def test_the_glossary_is_checked_in_course_order(tmp_path: Path) -> None:
    folder = course_folder(
        tmp_path, "Your back is sore.", "The sciatic nerve hurts.",
        "The **sciatic nerve** is long.",
    )
    course = check_directory(folder, SETTINGS)
    assert [r.ok for r in course.lessons] == [True, False, True]
    (problem,) = course.lessons[1].problems
    assert problem.rule == "glossary" and problem.words == ("sciatic nerve",)
    assert problem.message.startswith("lesson 2 (lesson-2): the first use of 'sciatic nerve'")


def test_a_missing_glossary_fails_the_course(tmp_path: Path) -> None:
    folder = course_folder(tmp_path, "One.")
    (folder / "glossary.yml").unlink()
    course = check_directory(folder, SETTINGS)
    assert not course.ok and course.lessons[0].ok
    assert [p.message for p in course.shared] == ["glossary.yml is missing: the glossary rule "
                                                   "needs it"]
