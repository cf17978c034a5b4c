"""The course lint: safety, readability, honest claims, sources, pictures, glossary, layout.

Pure: takes parsed lessons and the clinic settings; reads no globals and no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import textstat

from service.course import glossary, markup
from service.course.content import ContentError, LessonFile, lesson_paths, parse_lesson
from service.course.emergency import emergency_problems
from service.course.problems import Problem
from service.mail import markdown
from service.mail.render import (
    URGENT,
    ClinicSettings,
    Place,
    RenderError,
    lesson_content,
    places,
    render,
)

MAX_GRADE = 8.0
MAX_SUBJECT = 59  # inbox apps cut longer subjects, on phones especially
WORDS_PER_MINUTE = markdown.WORDS_PER_MINUTE
HARDEST = 3  # sentences a panel highlights when the grade is too high
FOOTER = "the email footer"
# Claims the evidence does not support: massage eases symptoms for many people; it cures no one.
BANNED = re.compile(
    r"\b(cure[sd]?|permanent(?:ly)?|guarantee[d]?|heals?|get\s+rid\s+of)\b", re.IGNORECASE
)


@dataclass
class LessonReport:
    """The lint result of one lesson file."""

    slug: str
    grade: float | None = None
    smog: float | None = None
    minutes: float | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def messages(self) -> list[str]:
        return [problem.message for problem in self.problems]


@dataclass
class CourseReport:
    """Every lesson's report, and the problems of what all emails share (footer, glossary)."""

    lessons: list[LessonReport]
    shared: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.shared and all(report.ok for report in self.lessons)


@dataclass(frozen=True)
class Readability:
    """Scores of the words a reader sees."""

    grade: float
    smog: float
    minutes: float
    hardest: tuple[str, ...]  # the sentences with the highest grade, hardest first


def readability(body: str) -> Readability:
    """Flesch-Kincaid grade, SMOG, reading minutes at 130 words a minute, hardest sentences."""
    words = markdown.plain_words(body)
    sentences = [s for s in re.split(r"(?<=[.!?:])\s+", words) if len(s.split()) > 3]
    ranked = sorted(sentences, key=lambda s: -float(textstat.flesch_kincaid_grade(s)))
    return Readability(
        grade=round(float(textstat.flesch_kincaid_grade(words)), 1),
        smog=round(float(textstat.smog_index(words)), 1),
        minutes=round(markdown.reading_minutes(body), 1),
        hardest=tuple(ranked[:HARDEST]),
    )


def claim_problems(lesson: LessonFile) -> list[Problem]:
    """Banned words in the subject, preheader or text (sources may quote anything)."""
    text = "\n".join([lesson.subject, lesson.preheader, markdown.plain_words(lesson.body)])
    found = sorted({m.group(0) for m in BANNED.finditer(text)}, key=str.lower)
    if not found:
        return []
    listed = ", ".join(repr(w.lower()) for w in dict.fromkeys(w.lower() for w in found))
    return [Problem("claims", f"claims not supported by evidence: {listed}", tuple(found))]


def _where(lesson: LessonFile) -> str:
    return f"lesson {lesson.order} ({lesson.slug})"


def check_lesson(lesson: LessonFile, settings: ClinicSettings, images_dir: Path | None = None,
                 place: Place | None = None) -> LessonReport:
    """Every per-lesson rule; the report lists each problem with the words it is about."""
    body = markdown.fill_placeholders(lesson.body, settings.placeholder_values())
    scores = readability(body)
    report = LessonReport(lesson.slug, scores.grade, scores.smog, scores.minutes)
    add = report.problems
    if scores.grade > MAX_GRADE:
        add.append(Problem("grade", f"reading grade {scores.grade} is above {MAX_GRADE:g}; the "
                           "hardest sentences are highlighted", scores.hardest))
    add += emergency_problems(markdown.plain_words(body), _where(lesson))
    add += claim_problems(lesson)
    if not lesson.sources:
        add.append(Problem("sources", "no sources"))
    if len(lesson.subject) > MAX_SUBJECT:
        add.append(Problem("subject", f"subject is {len(lesson.subject)} characters; keep it "
                           f"under {MAX_SUBJECT + 1}", (lesson.subject,)))
    add += markup.picture_problems(body, images_dir or settings.images_path)
    add += markup.link_problems(body)
    add += markup.placeholder_problems(body)
    add += markup.section_problems(body)
    add += markup.reference_problems(markdown.plain_words(body), place.total if place else None)
    try:
        render(lesson_content(lesson.slug, lesson, place), settings)
    except RenderError as error:
        add.append(Problem("layout", str(error)))
    return report


def _duplicates(lessons: list[LessonFile], reports: dict[str, LessonReport]) -> None:
    for key in ("slug", "order"):
        seen: dict[object, str] = {}
        for lesson in lessons:
            value = getattr(lesson, key)
            if value in seen:
                reports[lesson.name].problems.append(
                    Problem("duplicate", f"{key} {value!r} is also used by {seen[value]}"))
            seen.setdefault(value, lesson.name)


def footer_problems(text: str = URGENT) -> list[Problem]:
    """The one-line urgent text at the bottom of every email must list every emergency sign."""
    return emergency_problems(text, FOOTER, required=True)


def check_directory(directory: str | Path, settings: ClinicSettings) -> CourseReport:
    """Check every lesson file in a folder, in course order, and what every email shares."""
    folder = Path(directory)
    reports: dict[str, LessonReport] = {}
    lessons: list[LessonFile] = []
    for path in lesson_paths(folder):
        try:
            lesson = parse_lesson(path.read_text(encoding="utf-8"), path.name)
        except ContentError as error:
            reports[path.name] = LessonReport(path.name, problems=[Problem("file", error.message)])
            continue
        lessons.append(lesson)
    lessons.sort(key=lambda lesson: lesson.order)
    outline = places([lesson.subject for lesson in lessons])
    for lesson, place in zip(lessons, outline, strict=True):
        reports[lesson.name] = check_lesson(lesson, settings, folder / "images", place)
    _duplicates(lessons, reports)
    course = CourseReport(sorted(reports.values(), key=lambda r: _position(r, lessons)))
    course.shared += footer_problems()
    try:
        terms = glossary.load(folder)
    except glossary.GlossaryError as error:
        course.shared.append(Problem(glossary.RULE, str(error)))
        return course
    found = glossary.glossary_problems(terms, [(_where(x), x.body) for x in lessons])
    for lesson in lessons:
        reports[lesson.name].problems += found.get(_where(lesson), [])
    return course


def _position(report: LessonReport, lessons: list[LessonFile]) -> int:
    order = [lesson.slug for lesson in lessons]
    return order.index(report.slug) if report.slug in order else len(order)
