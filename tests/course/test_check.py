"""The course lint: each rule catches a lesson that breaks it; the real course passes."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from service.course.check import check_directory, check_lesson
from service.course.content import parse_lesson
from service.mail.render import TEMPLATES_DIR, ClinicSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ClinicSettings(
    name="Calm Hands Massage",
    postal_address="12 Elm Street, Springfield, IL 62701",
    phone="(217) 555-0134",
    booking_url="https://calmhands.example/book",
)
GOOD = """---
order: 1
slug: stretches
subject: "Gentle stretches"
preheader: "Four easy moves."
sources:
  - "NHS. Sciatica. https://www.nhs.uk/conditions/sciatica/"
---
## Try this

Lie on your back. Pull one knee to your chest. Hold it for a slow count of ten.

[Book a visit]({booking_url}) or read [the NHS page](https://www.nhs.uk/conditions/sciatica/).
"""
HARD = (
    "Notwithstanding considerable methodological heterogeneity, contemporary systematic "
    "investigations demonstrate that therapeutic manipulation of musculoskeletal tissue "
    "occasionally ameliorates radicular symptomatology experienced by individuals "
    "presenting with lumbosacral nerve root compression."
)


def test_a_plain_lesson_passes() -> None:
    report = check_lesson(parse_lesson(GOOD, "01.md"), SETTINGS)
    assert report.ok, report.problems
    assert report.grade is not None and report.grade <= 8
    assert report.minutes is not None and report.minutes > 0


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("Lie on your back.", HARD, "reading grade"),
        ("Hold it", "Massage cures sciatica. Hold it", "'cures'"),
        ("Hold it", "This is a permanent fix. Hold it", "'permanent'"),
        ("Hold it", "Results are GUARANTEED. Hold it", "'guaranteed'"),
        ("Hold it", "Rest heals the nerve. Hold it", "'heals'"),
        ("Hold it", "This will get rid of pain. Hold it", "'get rid of'"),
        ('"Gentle stretches"', '"Stretches that cure you"', "'cure'"),
        ("sources:\n  - \"NHS. Sciatica. https://www.nhs.uk/conditions/sciatica/\"\n", "",
         "no sources"),
        ('"Gentle stretches"', '"' + "A very long subject line " * 3 + '"',
         "subject is 74 characters"),
        ("## Try this", "## Try this\n\n![](https://calmhands.example/knee.png)",
         "image without alt text"),
        ("(https://www.nhs.uk/conditions/sciatica/)", "(/sciatica)",
         "link is not an absolute http(s) URL: /sciatica"),
        ("(https://www.nhs.uk/conditions/sciatica/)", "(mailto:hi@example.com)",
         "link is not an absolute http(s) URL: mailto:"),
        ("## Try this", "## Try this\n\n![Knee](knee.png)", "image is not an absolute"),
    ],
)
def test_each_rule_catches_a_lesson_that_breaks_it(old: str, new: str, problem: str) -> None:
    assert old in GOOD
    report = check_lesson(parse_lesson(GOOD.replace(old, new), "01.md"), SETTINGS)
    assert not report.ok
    assert any(problem in p for p in report.problems), report.problems


@pytest.mark.parametrize("word", ["healthy", "curious", "secure", "permanence", "healing"])
def test_claims_are_whole_words(word: str) -> None:
    text = GOOD.replace("Hold it", f"Stay {word}. Hold it")
    report = check_lesson(parse_lesson(text, "a.md"), SETTINGS)
    assert report.ok, report.problems


def test_the_booking_placeholder_counts_as_an_absolute_link() -> None:
    broken = replace(SETTINGS, booking_url="/book")
    report = check_lesson(parse_lesson(GOOD, "01.md"), broken)
    assert report.problems == ["link is not an absolute http(s) URL: /book"]


def test_mjml_errors_fail_the_lesson(tmp_path: Path) -> None:
    shutil.copy(TEMPLATES_DIR / "base.mjml", tmp_path / "base.mjml")
    (tmp_path / "lesson.mjml").write_text(
        '{% extends "base.mjml" %}{% block content %}<mj-text>{% endblock %}'
    )
    settings = replace(SETTINGS, templates_dir=str(tmp_path))
    report = check_lesson(parse_lesson(GOOD, "01.md"), settings)
    assert any("lesson 'stretches'" in p and "MJML" in p for p in report.problems)


def test_the_real_course_passes() -> None:
    reports = check_directory(ROOT / "lessons", SETTINGS)
    assert len(reports) >= 8
    assert [r.problems for r in reports if not r.ok] == []


def test_a_folder_reports_unreadable_files_and_duplicates(tmp_path: Path) -> None:
    (tmp_path / "01-a.md").write_text(GOOD)
    (tmp_path / "02-b.md").write_text(GOOD.replace("order: 1", "order: 2"))
    (tmp_path / "03-c.md").write_text("no front matter here")
    first, second, third = check_directory(tmp_path, SETTINGS)
    assert first.ok
    assert second.problems == ["slug 'stretches' is also used by 01-a.md"]
    assert third.slug == "03-c.md" and "no front matter" in third.problems[0]
