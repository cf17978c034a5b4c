"""The public newsletter archive: every sent issue, newest first, each at a stable address.

/newsletter lists them; /newsletter/<slug> shows one (an old /newsletter/<id> redirects to
it). Only sent issues are shown, and nothing personal is in them: no greeting by name, no
unsubscribe or preferences link (the page is the "read it in your browser" of each email).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from service.extensions import db
from service.mail import blocks
from service.mail.markdown import fill_placeholders
from service.mail.render import SLOTS
from service.mail.settings import ClinicSettings
from service.models import IssueStatus, NewsletterIssue
from service.newsletter.issues import get_issue

bp = Blueprint("archive", __name__)
PUBLIC_MAX_AGE = 300  # the same page for everyone: caches may keep it a few minutes


def _sent() -> list[NewsletterIssue]:
    return list(db.session.scalars(
        select(NewsletterIssue).where(NewsletterIssue.status == IssueStatus.SENT)
        .order_by(NewsletterIssue.sent_at.desc(), NewsletterIssue.id.desc())))


def body_html(issue: NewsletterIssue, settings: ClinicSettings) -> Markup:
    """An issue's text as the page's HTML (escaped Markdown, clinic placeholders filled)."""
    body = issue.body
    for slot in SLOTS:  # a stand-in for a personal link must never reach a public page
        body = body.replace(slot, "")
    body = fill_placeholders(body, settings.placeholder_values())
    return Markup(blocks.to_html(body, settings.extras()))  # noqa: S704 - the renderer escapes


@bp.get("/newsletter")
def index() -> Response:
    """Every sent issue, newest first."""
    page = render_template("newsletter/index.html", issues=_sent())
    response = current_app.make_response(page)
    response.cache_control.public = True
    response.cache_control.max_age = PUBLIC_MAX_AGE
    return response


@bp.get("/newsletter/<key>")
def issue_page(key: str) -> Response:
    """One sent issue, by its slug (or its id, redirected to the slug)."""
    issue = get_issue(db.session(), key) if len(key) <= 90 else None
    if issue is None or issue.status != IssueStatus.SENT:
        abort(404, description="There is no newsletter issue at this address.")
    if issue.slug and key != issue.slug:
        return redirect(url_for(".issue_page", key=issue.slug), 301)
    settings = ClinicSettings.from_config(current_app.config)
    page = render_template("newsletter/issue.html", issue=issue,
                           body=body_html(issue, settings))
    response = current_app.make_response(page)
    response.cache_control.public = True
    response.cache_control.max_age = PUBLIC_MAX_AGE
    return response
