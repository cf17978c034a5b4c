"""The one place the admin and the importer run `lessons check` on a revision.

`service.course.check` owns the rules; this adapter turns any revision-like object into the
lesson file the rules read and their report into findings with the words to highlight, so
a change in the report's shape (structured problems) is absorbed here and nowhere else.
Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from service.course import check
from service.course.content import LessonFile
from service.mail.render import ClinicSettings

QUOTED = re.compile(r"'([^']{1,60})'")
SNIPPET = 40  # characters of context either side of a highlighted word


@dataclass(frozen=True)
class Finding:
    """One problem in words, and the words in the lesson it is about."""

    message: str
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """What `lessons check` says about one revision."""

    grade: float | None
    minutes: float | None
    findings: tuple[Finding, ...]
    extra: tuple[tuple[str, str], ...] = ()  # further measures the check reports (SMOG, ...)

    @property
    def ok(self) -> bool:
        return not self.findings


def lesson_file(slug: str, order: int, revision: Any) -> LessonFile:
    """A revision (or a form's fields) as the lesson file the check reads."""
    return LessonFile(
        name=f"{slug}.md",
        order=order,
        slug=slug,
        subject=revision.subject,
        preheader=revision.preheader or "",
        delay_days=revision.delay_days,
        sources=tuple(revision.sources or ()),
        body=revision.body,
    )


def finding_of(problem: Any) -> Finding:
    """A problem as the check reports it: a string today, an object with fields later."""
    if isinstance(problem, str):
        return Finding(problem, tuple(dict.fromkeys(QUOTED.findall(problem))))
    message = str(getattr(problem, "message", None) or problem)
    words = getattr(problem, "words", None) or getattr(problem, "terms", None) or ()
    if isinstance(words, str):
        words = (words,)
    return Finding(message, tuple(str(w) for w in words))


def _extra(report: Any) -> tuple[tuple[str, str], ...]:
    measures = []
    for name, label in (("smog", "SMOG grade"),):
        value = getattr(report, name, None)
        if value is not None:
            measures.append((label, f"{value}"))
    return tuple(measures)


def check_revision(
    slug: str, order: int, revision: Any, settings: ClinicSettings
) -> CheckResult:
    """Run every rule of `lessons check` on one revision."""
    return _checked(lesson_file(slug, order, revision), settings)


# The rules read only the lesson, the settings and the drawings shipped with the service,
# and take a third of a second a lesson: the lesson list, the editor and every import
# would otherwise check the whole course again each time.
@lru_cache(maxsize=512)
def _checked(lesson: LessonFile, settings: ClinicSettings) -> CheckResult:
    report = check.check_lesson(lesson, settings)
    return CheckResult(
        grade=report.grade,
        minutes=report.minutes,
        findings=tuple(finding_of(p) for p in report.problems),
        extra=_extra(report),
    )


def snippets(text: str, word: str, limit: int = 2) -> list[tuple[str, str, str]]:
    """Where `word` occurs in `text`, as (before, match, after) pieces to show it marked."""
    found = []
    for match in re.finditer(re.escape(word), text, re.IGNORECASE):
        start, end = match.span()
        before = text[max(0, start - SNIPPET):start]
        after = text[end:end + SNIPPET]
        found.append((("…" if start > SNIPPET else "") + before, match.group(0),
                      after + ("…" if end + SNIPPET < len(text) else "")))
        if len(found) == limit:
            break
    return found
