"""Lesson files: Markdown with front matter (order, slug, subject, preheader, delay_days, sources).

Pure: reads and writes text; no Flask, no database.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from service.errors import InvalidInput

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEYS = {"order", "slug", "subject", "preheader", "delay_days", "sources"}
MAX_SUBJECT = 120  # the column; the lint wants fewer than 60
MAX_PREHEADER = 200
NOT_LESSONS = {"readme.md", "exercise-card.md"}  # the card is a web page, not an email


class ContentError(InvalidInput):
    """A lesson file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class LessonFile:
    """One lesson as written in lessons/."""

    name: str  # the file name, for messages
    order: int
    slug: str
    subject: str
    preheader: str
    delay_days: int
    sources: tuple[str, ...]
    body: str

    @property
    def content_hash(self) -> str:
        """Identifies what subscribers would receive; equal hashes need no new revision."""
        return content_hash(self.subject, self.preheader, self.delay_days, self.sources, self.body)


def normalise_body(body: str) -> str:
    """Unix line ends, no trailing spaces at the end, one final newline."""
    return body.replace("\r\n", "\n").replace("\r", "\n").strip("\n").rstrip() + "\n"


def content_hash(
    subject: str, preheader: str, delay_days: int, sources: Any, body: str
) -> str:
    """SHA-256 of a revision's content (the fields a subscriber's email depends on)."""
    data = {
        "subject": subject,
        "preheader": preheader,
        "delay_days": delay_days,
        "sources": list(sources or []),
        "body": normalise_body(body),
    }
    encoded = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def _fail(name: str, problem: str) -> ContentError:
    return ContentError(f"{name}: {problem}")


def _text(meta: dict[str, Any], key: str, name: str, limit: int, required: bool) -> str:
    value = meta.get(key, "")
    if value is None or (required and value == ""):
        raise _fail(name, f"front matter needs {key!r}")
    if not isinstance(value, str):
        raise _fail(name, f"{key!r} must be text, got {value!r}")
    value = " ".join(value.split())
    if len(value) > limit:
        raise _fail(name, f"{key!r} is {len(value)} characters; the most is {limit}")
    return value


def _integer(meta: dict[str, Any], key: str, name: str, default: int | None, low: int) -> int:
    value = meta.get(key, default)
    if value is None:
        raise _fail(name, f"front matter needs {key!r}")
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _fail(name, f"{key!r} must be a whole number of at least {low}, got {value!r}")
    return value


def parse_lesson(text: str, name: str) -> LessonFile:
    """Parse one lesson file's text; raise ContentError naming `name` when it is wrong."""
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError) as error:
        raise _fail(name, f"the front matter is not valid YAML: {error}") from error
    meta = dict(post.metadata)
    if not meta:
        raise _fail(name, "no front matter (a block between '---' lines at the top)")
    unknown = sorted(set(meta) - KEYS)
    if unknown:
        raise _fail(name, f"unknown front matter {', '.join(unknown)}; allowed: {sorted(KEYS)}")
    slug = _text(meta, "slug", name, 80, required=True)
    if not SLUG.match(slug):
        raise _fail(name, f"slug {slug!r} must be lowercase letters, digits and dashes")
    sources = meta.get("sources") or []
    if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
        raise _fail(name, "'sources' must be a list of text lines")
    body = normalise_body(post.content)
    if not body.strip():
        raise _fail(name, "the lesson has no text below the front matter")
    return LessonFile(
        name=name,
        order=_integer(meta, "order", name, None, 1),
        slug=slug,
        subject=_text(meta, "subject", name, MAX_SUBJECT, required=True),
        preheader=_text(meta, "preheader", name, MAX_PREHEADER, required=False),
        delay_days=_integer(meta, "delay_days", name, 1, 0),
        sources=tuple(" ".join(s.split()) for s in sources),
        body=body,
    )


def lesson_paths(directory: str | Path) -> list[Path]:
    """The lesson files in a folder (`*.md`, not README or the exercise card), sorted by name."""
    folder = Path(directory)
    if not folder.is_dir():
        raise ContentError(f"{directory}: no such folder")
    return sorted(p for p in folder.glob("*.md") if p.name.lower() not in NOT_LESSONS)


def load_lessons(directory: str | Path) -> list[LessonFile]:
    """Every lesson in a folder, in course order; slugs and orders must be unique."""
    lessons = [parse_lesson(p.read_text(encoding="utf-8"), p.name) for p in lesson_paths(directory)]
    for key in ("slug", "order"):
        seen: dict[Any, str] = {}
        for lesson in lessons:
            value = getattr(lesson, key)
            if value in seen:
                raise _fail(lesson.name, f"{key} {value!r} is also used by {seen[value]}")
            seen[value] = lesson.name
    return sorted(lessons, key=lambda lesson: lesson.order)


def _quoted(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar: one style for every text field.
    return json.dumps(text, ensure_ascii=False)


def dump_lesson(lesson: LessonFile) -> str:
    """The file text of a lesson, in the style of lessons/; parsing it gives it back."""
    lines = [
        "---",
        f"order: {lesson.order}",
        f"slug: {lesson.slug}",
        f"subject: {_quoted(lesson.subject)}",
        f"preheader: {_quoted(lesson.preheader)}",
        f"delay_days: {lesson.delay_days}",
        "sources:" + ("" if lesson.sources else " []"),
        *(f"  - {_quoted(source)}" for source in lesson.sources),
        "---",
    ]
    return "\n".join(lines) + "\n" + lesson.body


def file_name(lesson: LessonFile) -> str:
    """`01-what-is-sciatica.md`."""
    return f"{lesson.order:02d}-{lesson.slug}.md"
