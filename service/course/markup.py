"""Markup rules of a lesson: pictures, links, placeholders and the sections every lesson has.

Pure: takes the Markdown body (placeholders filled) and the folder of drawings.
"""

from __future__ import annotations

import re
from pathlib import Path

from service.course.problems import Problem
from service.mail import markdown
from service.mail.pictures import PICTURE

LEFT_OVER = re.compile(r"\{[a-z_]+\}")  # a placeholder nothing filled: a typo, most likely
REQUIRED_SECTIONS = ("Key points", "Try this today")


def picture_problems(body: str, images_dir: Path) -> list[Problem]:
    """Every picture is a drawing in lessons/images/, on its own line, with alt text."""
    problems = []
    for node in markdown.walk(markdown.tree(body)):
        if node.type != "image":
            continue
        src = str(node.attrs.get("src", ""))
        alt = "".join(child.content for child in node.children).strip()
        if not alt:
            problems.append(Problem(
                "picture-alt", f"picture {src} has no alt text: describe what it shows, "
                "for readers whose email hides pictures", (src,)))
        match = PICTURE.match(src)
        if match is None:
            problems.append(Problem(
                "picture-file", f"picture {src!r} must be a drawing in lessons/images/, written "
                "images/NAME.svg (the service serves it; never a third-party address)", (src,)))
        elif not (images_dir / f"{match.group(1)}.svg").is_file():
            problems.append(Problem(
                "picture-file", f"picture {src}: there is no file {match.group(1)}.svg in "
                f"{images_dir.parent.name}/{images_dir.name}/", (src,)))
        parent = node.parent
        if parent is not None and len([c for c in parent.children if c.type != "softbreak"]) > 1:
            problems.append(Problem(
                "picture-line", f"picture {src} must stand alone on its own line", (src,)))
    return problems


def link_problems(body: str) -> list[Problem]:
    """Links must be absolute http(s) URLs (a relative link goes nowhere from an inbox)."""
    problems = []
    for node in markdown.walk(markdown.tree(body)):
        if node.type == "link":
            href = str(node.attrs.get("href", ""))
            if not href.startswith(("https://", "http://")):
                problems.append(Problem(
                    "link", f"link is not an absolute http(s) URL: {href or '(empty)'}",
                    (href,)))
    return problems


def placeholder_problems(body: str) -> list[Problem]:
    """`{booking_button}` alone on its line; no unknown `{placeholder}` left over."""
    problems = []
    for line in body.splitlines():
        if markdown.BOOKING_BUTTON in line and line.strip() != markdown.BOOKING_BUTTON:
            problems.append(Problem(
                "placeholder", f"{markdown.BOOKING_BUTTON} must stand alone on its own line",
                (line.strip(),)))
    left = sorted(set(LEFT_OVER.findall(body)) - {markdown.BOOKING_BUTTON})
    if left:
        known = ", ".join([*markdown.PLACEHOLDERS, markdown.BOOKING_BUTTON])
        problems.append(Problem(
            "placeholder", f"unknown placeholder {', '.join(left)}; the known ones are {known}",
            tuple(left)))
    return problems


def section_problems(body: str) -> list[Problem]:
    """Every lesson has `## Key points` (a bullet list) and `## Try this today`."""
    headings: dict[str, int] = {}
    nodes = list(markdown.tree(body).children)
    for index, node in enumerate(nodes):
        if node.type == "heading" and node.tag == "h2" and node.children:
            headings[markdown.inline_text(node.children[0]).strip()] = index
    problems = []
    for title in REQUIRED_SECTIONS:
        if title not in headings:
            problems.append(Problem("sections", f"the lesson has no \u201c## {title}\u201d "
                                    "section", (title,)))
    box = headings.get("Key points")
    if box is not None and (box + 1 >= len(nodes) or nodes[box + 1].type != "bullet_list"):
        problems.append(Problem("sections", "\u201c## Key points\u201d must be followed by a "
                                "bullet list", ("Key points",)))
    return problems


LESSON_NUMBER = re.compile(r"\blesson (\d+)\b", re.IGNORECASE)
# The layout says what comes next ("Next: <subject>"); a hand-written line goes stale on the
# first reordering.
HAND_WRITTEN_NEXT = re.compile(
    r"\bnext (?:lesson|email)\b|\btomorrow'?s? (?:lesson|email)\b|\btomorrow,? (?:we|you will)\b",
    re.IGNORECASE,
)


def reference_problems(words: str, total: int | None) -> list[Problem]:
    """"Lesson N" must exist in a course of `total` lessons; no hand-written "next lesson"."""
    problems = []
    if total:
        for match in LESSON_NUMBER.finditer(words):
            if not 1 <= int(match.group(1)) <= total:
                problems.append(Problem(
                    "lesson-reference", f"\u201c{match.group(0)}\u201d does not exist: the "
                    f"course has {total} lessons", (match.group(0),)))
    for match in HAND_WRITTEN_NEXT.finditer(words):
        problems.append(Problem(
            "lesson-reference", f"\u201c{match.group(0)}\u201d: the email already ends with "
            "\u201cNext: <the next lesson's subject>\u201d; leave it out", (match.group(0),)))
    return problems
