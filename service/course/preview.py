"""A lesson as a subscriber gets it, for the admin's preview: the delivery's own render.

`mail.compose.lesson_sample` runs the same steps as composing a lesson for a subscriber
(render_lesson, then personalise) with a sample name and links that open nobody's page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.mail.compose import SAMPLE_NAME, lesson_sample
from service.mail.render import Place


@dataclass(frozen=True)
class Preview:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class _Unsaved:
    """Editor fields with the lesson's slug, as render_lesson reads a revision."""

    slug: str
    subject: str
    preheader: str
    body: str
    sources: tuple[str, ...]
    signoff: str = ""  # a draft has no reviewer yet


def preview_lesson(slug: str, revision: Any, config: Mapping[str, Any],
                   first_name: str = SAMPLE_NAME, place: Place | None = None) -> Preview:
    """The subject, HTML and text of one lesson revision (stored or unsaved) for a sample,
    at its place in the course ("Lesson N of M", "Next: …") as a delivery shows it."""
    if getattr(revision, "id", None) is None:
        revision = _Unsaved(slug, revision.subject, revision.preheader, revision.body,
                            tuple(revision.sources or ()))
    return Preview(*lesson_sample(revision, config, first_name, place))
