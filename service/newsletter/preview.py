"""What the compose page shows beside the form: the email as sent, and its readability.

- `preview(issue, config) -> Preview`: subject, HTML (phone and desktop are the same
  HTML at two widths) and text part, with links that lead nowhere and no name.
- `readability_of(issue) -> Readability`: the same panel as lessons (grade, SMOG, minutes,
  the hardest sentences).
Works on an unsaved issue too (a NewsletterIssue not added to a session).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service import links
from service.course.check import Readability, readability
from service.mail.compose import newsletter_content
from service.mail.render import ClinicSettings, Personal, personalise, render
from service.models import NewsletterIssue

PLACEHOLDER = "preview"


@dataclass(frozen=True)
class Preview:
    subject: str
    html: str
    text: str


def preview(issue: NewsletterIssue, config: Mapping[str, Any]) -> Preview:
    """The issue rendered as an email; RenderError if the layout fails (named in it)."""
    web = links.archive_url(config, issue.slug or str(issue.id or PLACEHOLDER))
    content = newsletter_content(issue.subject, issue.preheader or "", issue.body, web)
    rendered = render(content, ClinicSettings.from_config(config))
    page, text = personalise(rendered, Personal(
        "", links.newsletter_unsubscribe_url(config, PLACEHOLDER),
        links.preferences_url(config, PLACEHOLDER)))
    return Preview(rendered.subject, page, text)


def readability_of(issue: NewsletterIssue) -> Readability:
    """Grade, SMOG, reading minutes and the hardest sentences of the issue's text."""
    return readability(issue.body)
