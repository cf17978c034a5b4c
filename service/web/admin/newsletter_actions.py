"""What staff do with a saved newsletter issue: clinical sign-off or send back, a test send,
send now or schedule, cancel, stop, and the progress of a send.

Each action calls one service.newsletter operation, records itself in the audit log and
commits once; an operation's refusal (IssueError, ScheduleError) comes back as a flash and
changes nothing. admin-newsletter.js polls the progress for the page's live bar.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from flask import abort, flash, jsonify, request
from flask_login import current_user
from werkzeug.wrappers import Response

from service.course import review
from service.delivery.queueing import queue_test
from service.extensions import db
from service.models import NewsletterIssue, record, utcnow
from service.newsletter import issues, reports, schedule
from service.newsletter.issues import IssueError
from service.newsletter.schedule import ScheduleError
from service.web.admin import bp
from service.web.admin.access import role_required
from service.web.admin.newsletters import (
    audit_target,
    back_to,
    clinic_zone,
    issue_or_404,
    snapshot,
)


@bp.route("/newsletters/<int:issue_id>/test", methods=["POST"])
@role_required()
def newsletter_test(issue_id: int) -> Response:
    """Queue the saved issue to the logged-in staff member's own address."""
    issue, now = issue_or_404(issue_id), utcnow()
    queue_test(db.session(), current_user.email, now, newsletter_issue_id=issue.id)
    record(db.session(), current_user, "newsletter.test_send", audit_target(issue),
           after={"to": current_user.email}, now=now)
    db.session.commit()
    flash(f"A test of the saved text is on its way to {current_user.email}.", "success")
    return back_to(issue)


Change = Callable[[], tuple[str, dict[str, object]]]


def _act(issue: NewsletterIssue, action: str, change: Change, refused: str = "") -> Response:
    """Run one change to the issue and record it; a refusal is flashed and changes nothing.

    `change` returns the success message and any details for the audit entry.
    """
    before = snapshot(issue)
    try:
        message, details = change()
    except (IssueError, ScheduleError) as error:
        db.session.rollback()
        flash(f"{refused}{error}", "error")
        return back_to(issue)
    record(db.session(), current_user, action, audit_target(issue), before,
           {**snapshot(issue), **details}, now=utcnow())
    db.session.commit()
    flash(message, "success")
    return back_to(issue)


def _clinician_only() -> None:
    if not review.can_review(current_user):
        abort(403, "Only a clinician reviewer can sign off or send back health content.")


@bp.route("/newsletters/<int:issue_id>/approve", methods=["POST"])
@role_required("reviewer", "owner")
def newsletter_approve(issue_id: int) -> Response:
    """A clinician signs off the text they read, as it stands (not their own)."""
    issue = issue_or_404(issue_id)
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
    issue = issue_or_404(issue_id)
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
        return schedule.at_clinic_time(wall.replace(tzinfo=None), clinic_zone(), now)
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
    issue = issue_or_404(issue_id)

    def change() -> tuple[str, dict[str, object]]:
        now = utcnow()
        chosen = _chosen_schedule(now)
        queued = issues.schedule_issue(db.session(), issue, chosen, now, clinic_zone())
        message = (f"Queued for {queued:,} patients. The worker is sending it."
                   if chosen.mode == "now" else
                   "Scheduled. You can cancel it until it starts to go.")
        return message, {"mode": chosen.mode, "queued": queued}

    return _act(issue, "newsletter.schedule", change, refused="Not sent: ")


@bp.route("/newsletters/<int:issue_id>/cancel", methods=["POST"])
@role_required()
def newsletter_cancel(issue_id: int) -> Response:
    """Take back a scheduled issue (or discard a draft) before anything of it went."""
    issue = issue_or_404(issue_id)

    def change() -> tuple[str, dict[str, object]]:
        issues.cancel_issue(db.session(), issue, utcnow())
        return "Cancelled: nothing of it was sent.", {}

    return _act(issue, "newsletter.cancel", change)


@bp.route("/newsletters/<int:issue_id>/stop", methods=["POST"])
@role_required()
def newsletter_stop(issue_id: int) -> Response:
    """Stop an issue that is sending: what went stays sent, nothing more goes."""
    issue = issue_or_404(issue_id)

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
    issue = issue_or_404(issue_id)
    done = reports.progress(db.session(), issue)
    return jsonify(status=issue.status, label=issues.label(issue.status), sent=done.sent,
                   queued=done.queued, failed=done.failed, total=done.total,
                   percent=done.percent)
