"""Newsletters in the admin: the list, the compose page with its live preview and checks,
clinical sign-off, test sends, scheduling, cancel and stop, and the progress of a send.

Thin views over service.newsletter: each action calls one operation, records itself in the
audit log and commits once; an operation's refusal (IssueError, ScheduleError) comes back
as a flash and changes nothing. Like the lesson editor, the compose page works without
JavaScript; admin-editor.js adds the live preview, admin-newsletter.js the live progress.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
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
from service.delivery.queueing import queue_test
from service.extensions import db
from service.models import IssueStatus, NewsletterIssue, record, utcnow
from service.newsletter import fanout, issues, reports, schedule
from service.newsletter.issues import IssueError
from service.newsletter.preview import preview, readability_of
from service.newsletter.schedule import ScheduleError
from service.web.admin import bp
from service.web.admin.access import email_frame, preview_frame, role_required
from service.web.admin.lessons import VIEWS
from service.web.admin.rows import row_or_404

WHEN_CHOICES = ("now", "clinic_time", "subscriber_hour")


def _issue_or_404(issue_id: int) -> NewsletterIssue:
    return row_or_404(NewsletterIssue, issue_id, "There is no newsletter issue with that number.")


def _zone() -> str:
    return str(current_app.config.get("CLINIC_TIMEZONE") or "UTC")


def _target(issue: NewsletterIssue) -> str:
    return f"newsletter:{issue.id}"


def _snapshot(issue: NewsletterIssue) -> dict[str, object]:
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
        editable=not sending, label=issues.label, counts=counts, zone=_zone(),
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
        record(db.session(), current_user, "newsletter.create", _target(issue),
               after=_snapshot(issue), now=now)
        _submit_if_asked(issue, now)
    except IssueError as error:
        db.session.rollback()
        return _page(_form_issue(), None, 400, str(error))
    db.session.commit()
    return redirect(url_for("admin.newsletter", issue_id=issue.id))


def _submit_if_asked(issue: NewsletterIssue, now: datetime) -> None:
    if request.form.get("action") == "submit":
        issues.submit_for_review(db.session(), issue, current_user.name, now)
        record(db.session(), current_user, "newsletter.submit", _target(issue), now=now)
        flash("Saved and sent for clinical review.", "success")
    else:
        flash("Draft saved.", "success")


@bp.route("/newsletters/<int:issue_id>")
@role_required()
def newsletter(issue_id: int) -> tuple[str, int]:
    """One issue: the compose page while it can be edited, then its progress and results."""
    issue = _issue_or_404(issue_id)
    return _page(issue, issue)


@bp.route("/newsletters/<int:issue_id>", methods=["POST"])
@role_required()
def newsletter_save(issue_id: int) -> Response | tuple[str, int]:
    """Save the draft's text (one in review goes back to draft), or save and submit it."""
    issue = _issue_or_404(issue_id)
    before, now = _snapshot(issue), utcnow()
    try:
        issues.edit_issue(db.session(), issue, now, subject=request.form.get("subject", ""),
                          preheader=request.form.get("preheader", ""),
                          body=request.form.get("body", ""),
                          include_course=request.form.get("include_course") == "1")
        record(db.session(), current_user, "newsletter.edit", _target(issue), before,
               _snapshot(issue), now=now)
        _submit_if_asked(issue, now)
    except IssueError as error:
        db.session.rollback()
        if issue.status not in issues.EDITABLE:  # it went meanwhile: its page says how far
            flash(str(error), "error")
            return _back(issue)
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
    return _frame(_issue_or_404(issue_id), _view())


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


def _back(issue: NewsletterIssue) -> Response:
    return redirect(url_for("admin.newsletter", issue_id=issue.id))


@bp.route("/newsletters/<int:issue_id>/test", methods=["POST"])
@role_required()
def newsletter_test(issue_id: int) -> Response:
    """Queue the saved issue to the logged-in staff member's own address."""
    issue, now = _issue_or_404(issue_id), utcnow()
    queue_test(db.session(), current_user.email, now, newsletter_issue_id=issue.id)
    record(db.session(), current_user, "newsletter.test_send", _target(issue),
           after={"to": current_user.email}, now=now)
    db.session.commit()
    flash(f"A test of the saved text is on its way to {current_user.email}.", "success")
    return _back(issue)


Change = Callable[[], tuple[str, dict[str, object]]]


def _act(issue: NewsletterIssue, action: str, change: Change, refused: str = "") -> Response:
    """Run one change to the issue and record it; a refusal is flashed and changes nothing.

    `change` returns the success message and any details for the audit entry.
    """
    before = _snapshot(issue)
    try:
        message, details = change()
    except (IssueError, ScheduleError) as error:
        db.session.rollback()
        flash(f"{refused}{error}", "error")
        return _back(issue)
    record(db.session(), current_user, action, _target(issue), before,
           {**_snapshot(issue), **details}, now=utcnow())
    db.session.commit()
    flash(message, "success")
    return _back(issue)


def _clinician_only() -> None:
    if not review.can_review(current_user):
        abort(403, "Only a clinician reviewer can sign off or send back health content.")


@bp.route("/newsletters/<int:issue_id>/approve", methods=["POST"])
@role_required("reviewer", "owner")
def newsletter_approve(issue_id: int) -> Response:
    """A clinician signs off the text they read, as it stands (not their own)."""
    issue = _issue_or_404(issue_id)
    _clinician_only()

    def change() -> tuple[str, dict[str, object]]:
        if request.form.get("seen_hash") != issues.text_hash(issue):
            raise IssueError("The text was edited after you opened it. Read it again "
                             "before signing off.")
        issues.approve(db.session(), issue, current_user.name, utcnow())
        return "Signed off. It can be sent or scheduled now.", {}

    return _act(issue, "newsletter.approve", change)


@bp.route("/newsletters/<int:issue_id>/send-back", methods=["POST"])
@role_required("reviewer", "owner")
def newsletter_send_back(issue_id: int) -> Response:
    """A clinician returns the issue to its author with a comment, instead of signing off."""
    issue = _issue_or_404(issue_id)
    _clinician_only()

    def change() -> tuple[str, dict[str, object]]:
        issues.send_back(db.session(), issue, current_user.name,
                         request.form.get("comment", ""), utcnow())
        return "Sent back to its author with your comment.", {"comment": issue.review_comment}

    return _act(issue, "newsletter.send_back", change)


def _chosen_schedule(now: datetime) -> schedule.Schedule:
    """The send form's choice: now, a clinic date and time, or a date at their own hour."""
    when = request.form.get("when", "")
    if when == "now":
        if request.form.get("confirm") != "yes":
            raise ScheduleError("Tick the box to confirm that it goes to everyone now.")
        return schedule.send_now(now)
    if when == "clinic_time":
        try:
            wall = datetime.fromisoformat(request.form.get("at", "").strip())
        except ValueError as error:
            raise ScheduleError("Give a date and a time, e.g. 2026-12-03 09:00.") from error
        return schedule.at_clinic_time(wall.replace(tzinfo=None), _zone(), now)
    if when == "subscriber_hour":
        try:
            day = date.fromisoformat(request.form.get("day", "").strip())
        except ValueError as error:
            raise ScheduleError("Give a date, e.g. 2026-12-03.") from error
        return schedule.at_subscriber_hour(day, now)
    raise ScheduleError("Choose when it goes: now, at a time, or at each patient's hour.")


@bp.route("/newsletters/<int:issue_id>/schedule", methods=["POST"])
@role_required()
def newsletter_schedule(issue_id: int) -> Response:
    """Send the issue now (the worker sends what this queues) or schedule it."""
    issue = _issue_or_404(issue_id)

    def change() -> tuple[str, dict[str, object]]:
        now = utcnow()
        chosen = _chosen_schedule(now)
        queued = issues.schedule_issue(db.session(), issue, chosen, now, _zone())
        message = (f"Queued for {queued:,} patients. The worker is sending it."
                   if chosen.mode == "now" else
                   "Scheduled. You can cancel it until it starts to go.")
        return message, {"mode": chosen.mode, "queued": queued}

    return _act(issue, "newsletter.schedule", change, refused="Not sent: ")


@bp.route("/newsletters/<int:issue_id>/cancel", methods=["POST"])
@role_required()
def newsletter_cancel(issue_id: int) -> Response:
    """Take back a scheduled issue (or discard a draft) before anything of it went."""
    issue = _issue_or_404(issue_id)

    def change() -> tuple[str, dict[str, object]]:
        issues.cancel_issue(db.session(), issue, utcnow())
        return "Cancelled: nothing of it was sent.", {}

    return _act(issue, "newsletter.cancel", change)


@bp.route("/newsletters/<int:issue_id>/stop", methods=["POST"])
@role_required()
def newsletter_stop(issue_id: int) -> Response:
    """Stop an issue that is sending: what went stays sent, nothing more goes."""
    issue = _issue_or_404(issue_id)

    def change() -> tuple[str, dict[str, object]]:
        if request.form.get("confirm") != "yes":
            raise IssueError("Tick the box to confirm the stop.")
        taken = issues.stop_issue(db.session(), issue, utcnow())
        return (f"Stopped. {taken:,} messages will not go; what was sent stays sent.",
                {"not_sent": taken})

    return _act(issue, "newsletter.stop", change)


@bp.route("/newsletters/<int:issue_id>/progress")
@role_required()
def newsletter_progress(issue_id: int) -> Response:
    """Where the sending stands, as JSON for the page's progress bar."""
    issue = _issue_or_404(issue_id)
    done = reports.progress(db.session(), issue)
    return jsonify(status=issue.status, label=issues.label(issue.status), sent=done.sent,
                   queued=done.queued, failed=done.failed, total=done.total,
                   percent=done.percent)
