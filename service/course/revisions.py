"""Lesson revisions: the fields staff edit, new revisions, the open draft, and diffs.

No commits and no Flask: the review operations (review.py) and the importer build on these.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.course.content import MAX_PREHEADER, MAX_SUBJECT, content_hash, normalise_body
from service.errors import InvalidInput
from service.models import Lesson, LessonRevision
from service.models.course import RevisionStatus

MAX_DELAY_DAYS = 60
MAX_BODY = 50_000
MAX_SOURCES = 30
OPEN = (RevisionStatus.DRAFT, RevisionStatus.IN_REVIEW)


class FieldErrors(InvalidInput):
    """A lesson form with mistakes; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Fields:
    """What staff write for a lesson: the content a subscriber's email depends on."""

    subject: str
    preheader: str
    delay_days: int
    body: str
    sources: tuple[str, ...]

    @property
    def content_hash(self) -> str:
        return content_hash(self.subject, self.preheader, self.delay_days, self.sources,
                            self.body)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def parse_fields(form: Mapping[str, Any]) -> Fields:
    """Read and check the editor's fields; FieldErrors names every field that is wrong."""
    errors: dict[str, str] = {}
    subject = _one_line(str(form.get("subject", "")))
    if not subject:
        errors["subject"] = "Write a subject line."
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = f"Keep the subject under {MAX_SUBJECT + 1} characters."
    preheader = _one_line(str(form.get("preheader", "")))
    if len(preheader) > MAX_PREHEADER:
        errors["preheader"] = f"Keep the preheader under {MAX_PREHEADER + 1} characters."
    raw_delay = str(form.get("delay_days", "1")).strip()
    delay = int(raw_delay) if raw_delay.isdigit() else -1
    if not 0 <= delay <= MAX_DELAY_DAYS:
        errors["delay_days"] = f"Enter a whole number of days from 0 to {MAX_DELAY_DAYS}."
    body = str(form.get("body", ""))
    if not body.strip():
        errors["body"] = "The lesson needs some text."
    elif len(body) > MAX_BODY:
        errors["body"] = f"The lesson is longer than {MAX_BODY:,} characters."
    sources = tuple(_one_line(line) for line in str(form.get("sources", "")).splitlines())
    sources = tuple(s for s in sources if s)
    if len(sources) > MAX_SOURCES:
        errors["sources"] = f"List at most {MAX_SOURCES} sources."
    if errors:
        raise FieldErrors(errors)
    return Fields(subject, preheader, delay, normalise_body(body), sources)


def fields_of(revision: LessonRevision) -> Fields:
    """The editable fields of a stored revision."""
    return Fields(revision.subject, revision.preheader or "", revision.delay_days,
                  revision.body, tuple(revision.sources or ()))


def add_revision(
    lesson: Lesson, fields: Fields, now: datetime, *, status: str, created_by: str,
    author_id: int | None = None,
) -> LessonRevision:
    """Append a new revision numbered after the last one. Does not flush."""
    number = max((r.number for r in lesson.revisions), default=0) + 1
    revision = LessonRevision(
        number=number, subject=fields.subject, preheader=fields.preheader,
        delay_days=fields.delay_days, body=fields.body, sources=list(fields.sources),
        content_hash=fields.content_hash, created_at=now, created_by=created_by,
        author_id=author_id, status=status, review_comment="", review_credit="",
    )
    lesson.revisions.append(revision)
    return revision


def update_revision(revision: LessonRevision, fields: Fields) -> None:
    """Change an open draft's text in place."""
    revision.subject, revision.preheader = fields.subject, fields.preheader
    revision.delay_days, revision.body = fields.delay_days, fields.body
    revision.sources, revision.content_hash = list(fields.sources), fields.content_hash


def open_draft(lesson: Lesson) -> LessonRevision | None:
    """The revision being worked on (draft or in review, newer than the published one)."""
    latest = lesson.latest
    if latest is None or latest.status not in OPEN:
        return None
    return latest


def find(lesson: Lesson, number: int) -> LessonRevision | None:
    return next((r for r in lesson.revisions if r.number == number), None)


def status_label(lesson: Lesson) -> str:
    """The lesson's state in the list's words."""
    if lesson.retired_at is not None:
        return "retired"
    draft = open_draft(lesson)
    if draft is not None and draft.status == RevisionStatus.IN_REVIEW:
        return "draft waiting for review"
    if draft is not None:
        return "draft"
    return "published" if lesson.published_number is not None else "not published"


def as_text(revision: LessonRevision | Fields | None) -> list[str]:
    """The lines a diff compares: the front fields, then the body."""
    if revision is None:
        return []
    lines = [f"Subject: {revision.subject}", f"Preheader: {revision.preheader or ''}",
             f"Days after the previous lesson: {revision.delay_days}"]
    lines += [f"Source: {source}" for source in revision.sources or ()]
    return [*lines, "", *revision.body.splitlines()]


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff; `change` is said in words, not only in colour."""

    change: str  # "same", "removed", "added", "changed", "skipped"
    old_number: int | None
    old: str
    new_number: int | None
    new: str


def diff_rows(old: list[str], new: list[str], context: int = 2) -> list[DiffRow]:
    """A side-by-side diff of two texts, unchanged stretches cut to `context` lines."""
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if rows:
            rows.append(DiffRow("skipped", None, "", None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [DiffRow("same", i + 1, old[i], j + 1, new[j])
                         for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
                continue
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                has_old, has_new = i < i2, j < j2
                change = "changed" if has_old and has_new else "removed" if has_old else "added"
                rows.append(DiffRow(change, i + 1 if has_old else None,
                                    old[i] if has_old else "", j + 1 if has_new else None,
                                    new[j] if has_new else ""))
    return rows
