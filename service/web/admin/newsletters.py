"""Newsletters in the admin: the list, and the compose page with its live preview and checks.

Thin views over service.newsletter; what staff then do with a saved issue (sign-off, test
send, schedule, cancel, stop, progress) is in newsletter_actions.py. Like the lesson
editor, the compose page works without JavaScript; admin-editor.js adds the live preview.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from service.course import review
from service.course.check import Readability
from service.course.checking import snippets
from service.course.problems import Problem
from service.extensions import db
from service.models import IssueStatus, NewsletterIssue, record, utcnow
from service.newsletter import fanout, issues, reports
from service.newsletter.issues import IssueError
from service.newsletter.preview import preview, readability_of
from service.web.admin import bp
from service.web.admin.access import email_frame, preview_frame, role_required
from service.web.admin.lessons import VIEWS
from service.web.admin.rows import row_or_404


def issue_or_404(issue_id: int) -> NewsletterIssue:
    return row_or_404(NewsletterIssue, issue_id, "There is no newsletter issue with that number.")


def clinic_zone() -> str:
    return str(current_app.config.get("CLINIC_TIMEZONE") or "UTC")


def audit_target(issue: NewsletterIssue) -> str:
    return f"newsletter:{issue.id}"


def snapshot(issue: NewsletterIssue) -> dict[str, object]:
    return {"status": issue.status, "subject": issue.subject,
            "include_course": issue.include_course}


def _form_issue(base: NewsletterIssue | None = None) -> NewsletterIssue:
    """The form's text as an unsaved issue (for the preview, the checks and a failed save)."""
    form = request.form
    return NewsletterIssue(
        id=base.id if base else None, slug=base.slug if base else None,
        subject=" ".join(form.get("subject", "").split())[:issues.MAX_SUBJECT],
        preheader=" ".join(form.get("preheader", "").split())[:issues.MAX_PREHEADER],
        body=form.get("body", ""), include_course=form.get("include_course") == "1",
        status=base.status if base else IssueStatus.DRAFT)


def _view() -> str:
    chosen = request.values.get("view", "desktop")
    return chosen if chosen in VIEWS else "desktop"


def _panel(issue: NewsletterIssue) -> dict[str, object]:
    """What the readability and safety panel shows: scores and the health checks' findings."""
    problems: list[Problem] = issues.health_problems(issue) if issue.body.strip() else []
    scores: Readability | None = readability_of(issue) if issue.body.strip() else None
    return {"scores": scores, "problems": problems, "snippets": snippets,
            "text": f"{issue.subject}\n{issue.preheader}\n{issue.body}",
            "signed_off": bool(problems) and not issues.needs_signoff(issue)}


def _page(issue: NewsletterIssue, saved: NewsletterIssue | None, status: int = 200,
          error: str = "") -> tuple[str, int]:
    """The compose page (a draft or one in review) or the status page (anything later)."""
    session, now = db.session(), utcnow()
    counts = {flag: fanout.audience_count(session, flag, now) for flag in (False, True)}
    sending = saved is not None and saved.status not in issues.EDITABLE
    return render_template(
        "admin/newsletter.html", issue=issue, saved=saved, error=error, view=_view(),
        editable=not sending, label=issues.label, counts=counts, zone=clinic_zone(),
        needs_signoff=saved is not None and issues.needs_signoff(saved),
        can_review=review.can_review(current_user),
        progress=reports.progress(session, saved) if sending and saved else None,
        results=reports.results(session, saved) if sending and saved else None,
        today=now.date().isoformat(), text_hash=issues.text_hash, **_panel(issue),
    ), status


@bp.route("/newsletters")
@role_required()
def newsletters() -> str:
    """Every issue, newest first, with its status and how far its sending got."""
    session = db.session()
    rows = [(issue, reports.progress(session, issue), reports.results(session, issue))
            for issue in issues.list_issues(session)]
    return render_template("admin/newsletters.html", rows=rows, label=issues.label)


@bp.route("/newsletters/new")
@role_required()
def newsletter_new() -> tuple[str, int]:
    """An empty compose page; nothing is stored until "Save draft"."""
    return _page(NewsletterIssue(subject="", preheader="", body="", include_course=False,
                                 status=IssueStatus.DRAFT), None)


@bp.route("/newsletters", methods=["POST"])
@role_required()
def newsletter_create() -> Response | tuple[str, int]:
    """Store the compose page's text as a new draft (and, with action=submit, ask review)."""
    now = utcnow()
    try:
        issue = issues.create_issue(
            db.session(), request.form.get("subject", ""), request.form.get("preheader", ""),
            request.form.get("body", ""), now, current_user.name,
            request.form.get("include_course") == "1")
        record(db.session(), current_user, "newsletter.create", audit_target(issue),
               after=snapshot(issue), now=now)
        _submit_if_asked(issue, now)
    except IssueError as error:
        db.session.rollback()
        return _page(_form_issue(), None, 400, str(error))
    db.session.commit()
    return redirect(url_for("admin.newsletter", issue_id=issue.id))


def _submit_if_asked(issue: NewsletterIssue, now: datetime) -> None:
    if request.form.get("action") == "submit":
        issues.submit_for_review(db.session(), issue, current_user.name, now)
        record(db.session(), current_user, "newsletter.submit", audit_target(issue), now=now)
        flash("Saved and sent for clinical review.", "success")
    else:
        flash("Draft saved.", "success")


@bp.route("/newsletters/<int:issue_id>")
@role_required()
def newsletter(issue_id: int) -> tuple[str, int]:
    """One issue: the compose page while it can be edited, then its progress and results."""
    issue = issue_or_404(issue_id)
    return _page(issue, issue)


@bp.route("/newsletters/<int:issue_id>", methods=["POST"])
@role_required()
def newsletter_save(issue_id: int) -> Response | tuple[str, int]:
    """Save the draft's text (one in review goes back to draft), or save and submit it."""
    issue = issue_or_404(issue_id)
    before, now = snapshot(issue), utcnow()
    try:
        issues.edit_issue(db.session(), issue, now, subject=request.form.get("subject", ""),
                          preheader=request.form.get("preheader", ""),
                          body=request.form.get("body", ""),
                          include_course=request.form.get("include_course") == "1")
        record(db.session(), current_user, "newsletter.edit", audit_target(issue), before,
               snapshot(issue), now=now)
        _submit_if_asked(issue, now)
    except IssueError as error:
        db.session.rollback()
        if issue.status not in issues.EDITABLE:  # it went meanwhile: its page says how far
            flash(str(error), "error")
            return back_to(issue)
        return _page(_form_issue(issue), issue, 400, str(error))
    db.session.commit()
    return redirect(url_for("admin.newsletter", issue_id=issue.id))


def _frame(issue: NewsletterIssue, view: str) -> Response:
    def render() -> tuple[str, str]:
        shown = preview(issue, current_app.config)
        return shown.html, shown.text

    return preview_frame(render, view)


@bp.route("/newsletters/<int:issue_id>/preview")
@role_required()
def newsletter_preview(issue_id: int) -> Response:
    """The saved issue exactly as its email renders."""
    return _frame(issue_or_404(issue_id), _view())


@bp.route("/newsletters/preview", methods=["POST"])
@role_required()
def newsletter_preview_form() -> Response:
    """The compose page's unsaved text as the email; nothing is stored."""
    issue = _form_issue()
    if not issue.subject or not issue.body.strip():
        return email_frame("<p>Write a subject and some text to see the preview.</p>")
    return _frame(issue, _view())


@bp.route("/newsletters/check", methods=["POST"])
@role_required()
def newsletter_check_form() -> str:
    """The readability and safety panel for the unsaved text (an HTML fragment)."""
    return render_template("admin/newsletter_panel.html", **_panel(_form_issue()))


def back_to(issue: NewsletterIssue) -> Response:
    return redirect(url_for("admin.newsletter", issue_id=issue.id))
