"""Lesson files: parsing, clear errors naming the file, and the text written back."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from service.course.content import (
    ContentError,
    dump_lesson,
    file_name,
    load_lessons,
    parse_lesson,
)

ROOT = Path(__file__).resolve().parents[2]
GOOD = """---
order: 2
slug: causes
subject: "What causes sciatica?"
preheader: "Most sciatica starts with a disc."
sources:
  - "NHS. Sciatica. https://www.nhs.uk/conditions/sciatica/"
---
## Causes

A disc can press on a nerve root.
"""


def test_parses_front_matter_and_body() -> None:
    lesson = parse_lesson(GOOD, "02-causes.md")
    assert (lesson.order, lesson.slug, lesson.delay_days) == (2, "causes", 1)
    assert lesson.subject == "What causes sciatica?"
    assert lesson.sources == ("NHS. Sciatica. https://www.nhs.uk/conditions/sciatica/",)
    assert lesson.body == "## Causes\n\nA disc can press on a nerve root.\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("## No front matter\n", "no front matter"),
        ("---\norder: [1\n---\nBody\n", "not valid YAML"),
        (GOOD.replace("order: 2\n", ""), "needs 'order'"),
        (GOOD.replace("order: 2", "order: two"), "'order' must be a whole number"),
        (GOOD.replace("order: 2", "order: 0"), "'order' must be a whole number of at least 1"),
        (GOOD.replace("slug: causes", "slug: Causes Here"), "slug 'Causes Here'"),
        (GOOD.replace('subject: "What causes sciatica?"\n', ""), "needs 'subject'"),
        (GOOD.replace("order: 2", "order: 2\ndelay: 3"), "unknown front matter delay"),
        (GOOD.replace("order: 2", "order: 2\ndelay_days: -1"), "'delay_days' must be"),
        (GOOD.replace('  - "NHS', '  - 3\n  - "NHS'), "'sources' must be a list"),
        (GOOD.split("## Causes")[0], "no text below the front matter"),
    ],
)
def test_bad_files_fail_with_the_file_named(text: str, message: str) -> None:
    with pytest.raises(ContentError, match=message) as raised:
        parse_lesson(text, "02-causes.md")
    assert raised.value.message.startswith("02-causes.md: ")


def test_dump_parses_back_to_the_same_lesson_and_hash() -> None:
    lesson = parse_lesson(GOOD, "02-causes.md")
    again = parse_lesson(dump_lesson(lesson), file_name(lesson))
    assert replace(again, name=lesson.name) == lesson
    assert again.content_hash == lesson.content_hash
    assert file_name(lesson) == "02-causes.md"


def test_the_real_course_dumps_back_byte_for_byte() -> None:
    for lesson in load_lessons(ROOT / "lessons"):
        assert dump_lesson(lesson) == (ROOT / "lessons" / lesson.name).read_text(encoding="utf-8")


def test_edits_change_the_hash_and_line_ends_do_not() -> None:
    lesson = parse_lesson(GOOD, "a.md")
    crlf = parse_lesson(GOOD.replace("\n", "\r\n"), "a.md")
    edited = parse_lesson(GOOD.replace("press on", "pinch"), "a.md")
    assert crlf.content_hash == lesson.content_hash
    assert edited.content_hash != lesson.content_hash


def test_duplicate_slugs_are_refused(tmp_path: Path) -> None:
    (tmp_path / "02-causes.md").write_text(GOOD)
    (tmp_path / "03-copy.md").write_text(GOOD.replace("order: 2", "order: 3"))
    with pytest.raises(ContentError, match="03-copy.md: slug 'causes' is also used by 02-causes"):
        load_lessons(tmp_path)
