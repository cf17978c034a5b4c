"""The course lint: readability, honest claims, sources, subject length, alt text, links, MJML.

Pure: takes parsed lessons and the clinic settings; reads no globals and no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import textstat

from service.course.content import ContentError, LessonFile, lesson_paths, parse_lesson
from service.mail import markdown
from service.mail.render import ClinicSettings, RenderError, lesson_content, render

MAX_GRADE = 8.0
MAX_SUBJECT = 59  # inbox apps cut longer subjects, on phones especially
WORDS_PER_MINUTE = 200
# Claims the evidence does not support: massage eases symptoms for many people; it cures no one.
BANNED = re.compile(
    r"\b(cure[sd]?|permanent(?:ly)?|guarantee[d]?|heals?|get\s+rid\s+of)\b", re.IGNORECASE
)


@dataclass
class LessonReport:
    """The lint result of one lesson file."""

    slug: str
    grade: float | None = None
    minutes: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def readability(body: str) -> tuple[float, float]:
    """(Flesch-Kincaid grade, reading minutes) of the words a reader sees."""
    words = markdown.plain_words(body)
    grade = float(textstat.flesch_kincaid_grade(words))
    minutes = len(words.split()) / WORDS_PER_MINUTE
    return round(grade, 1), round(minutes, 1)


def claim_problems(lesson: LessonFile) -> list[str]:
    """Banned words in the subject, preheader or text (sources may quote anything)."""
    text = "\n".join([lesson.subject, lesson.preheader, markdown.plain_words(lesson.body)])
    found = sorted({m.group(0).lower() for m in BANNED.finditer(text)})
    if not found:
        return []
    return [f"claims not supported by evidence: {', '.join(repr(w) for w in found)}"]


def markup_problems(body: str) -> list[str]:
    """Images without alt text, and links or images that are not absolute http(s) URLs."""
    problems = []
    for node in markdown.walk(markdown.tree(body)):
        if node.type == "image":
            src = str(node.attrs.get("src", ""))
            if not "".join(child.content for child in node.children).strip():
                problems.append(f"image without alt text: {src}")
            if not src.startswith(("https://", "http://")):
                problems.append(f"image is not an absolute http(s) URL: {src}")
        elif node.type == "link":
            href = str(node.attrs.get("href", ""))
            if not href.startswith(("https://", "http://")):
                problems.append(f"link is not an absolute http(s) URL: {href or '(empty)'}")
    return problems


def check_lesson(lesson: LessonFile, settings: ClinicSettings) -> LessonReport:
    """Every rule for one lesson; the report lists each problem in words."""
    body = markdown.fill_placeholders(lesson.body, settings.placeholder_values())
    grade, minutes = readability(body)
    report = LessonReport(lesson.slug, grade, minutes)
    if grade > MAX_GRADE:
        report.problems.append(f"reading grade {grade} is above {MAX_GRADE:g}")
    report.problems += claim_problems(lesson)
    if not lesson.sources:
        report.problems.append("no sources")
    if len(lesson.subject) > MAX_SUBJECT:
        report.problems.append(
            f"subject is {len(lesson.subject)} characters; keep it under {MAX_SUBJECT + 1}"
        )
    report.problems += markup_problems(body)
    try:
        render(lesson_content(lesson.slug, lesson), settings)
    except RenderError as error:
        report.problems.append(str(error))
    return report


def _duplicates(lessons: list[LessonFile], reports: dict[str, LessonReport]) -> None:
    for key in ("slug", "order"):
        seen: dict[object, str] = {}
        for lesson in lessons:
            value = getattr(lesson, key)
            if value in seen:
                problem = f"{key} {value!r} is also used by {seen[value]}"
                reports[lesson.name].problems.append(problem)
            seen.setdefault(value, lesson.name)


def check_directory(directory: str | Path, settings: ClinicSettings) -> list[LessonReport]:
    """Check every lesson file in a folder; a file that cannot be parsed is a failed report."""
    reports: dict[str, LessonReport] = {}
    lessons: list[LessonFile] = []
    for path in lesson_paths(directory):
        try:
            lesson = parse_lesson(path.read_text(encoding="utf-8"), path.name)
        except ContentError as error:
            reports[path.name] = LessonReport(path.name, problems=[error.message])
            continue
        lessons.append(lesson)
        reports[path.name] = check_lesson(lesson, settings)
    _duplicates(lessons, reports)
    return list(reports.values())
