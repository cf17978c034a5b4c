"""One patient's page and the staff actions on it, each through the patient's own operations.

Pause, resume, restart, unsubscribe (course or everything) and delete call
service/subscriptions/preferences.py exactly as the preferences and unsubscribe pages do;
the audit log records which staff member did it, with the state before and after.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from service.errors import InvalidInput
from service.extensions import db
from service.models import AuditEntry, Enrolment, Subscriber, record, utcnow
from service.subscriptions import preferences
from service.subscriptions.directory import standing
from service.subscriptions.record import deliveries, timeline
from service.web.admin import bp, mailing
from service.web.admin.access import role_required
from service.web.admin.forms import ActionForm
from service.web.admin.rows import row_or_404

STATE = ("status", "paused", "course_enabled", "newsletter_enabled")


def _subscriber(subscriber_id: int) -> Subscriber:
    return row_or_404(Subscriber, subscriber_id,
                      "No patient with this number (they may have been deleted).")


def _state(subscriber: Subscriber) -> dict[str, Any]:
    # Only the switches: the audit log keeps no address or name, so an erasure erases them.
    return {name: getattr(subscriber, name) for name in STATE}


@bp.route("/subscribers/<int:subscriber_id>")
@role_required()
def patient(subscriber_id: int) -> str:
    """Consent, preferences, progress, every delivery and the timeline of what comes next."""
    subscriber = _subscriber(subscriber_id)
    enrolment = db.session.get(Enrolment, subscriber.id)
    now = utcnow()
    history = db.session.scalars(
        select(AuditEntry).where(AuditEntry.target == f"subscriber:{subscriber.id}")
        .order_by(AuditEntry.id.desc()).limit(50)
    ).all()
    return render_template(
        "admin/patient.html", subscriber=subscriber, enrolment=enrolment,
        standing=standing(subscriber, enrolment), deliveries=deliveries(db.session(), subscriber),
        timeline=timeline(db.session(), subscriber, enrolment, now), history=history,
        done_labels=DONE,
    )


ACTIONS = {
    "pause": "Paused: no lessons go until someone resumes.",
    "resume": "Resumed: the next lesson is scheduled.",
    "restart": "The course starts again from lesson 1.",
    "unsubscribe-course": "Taken off the course (newsletter kept if chosen).",
    "unsubscribe-all": "Unsubscribed from every email.",
    "resend-confirmation": "The confirmation email is on its way again.",
}


# How the page's "Done by staff" list names each recorded action.
DONE = {
    "subscriber.pause": "Paused the course",
    "subscriber.resume": "Resumed the course",
    "subscriber.restart": "Restarted the course",
    "subscriber.unsubscribe-course": "Took them off the course",
    "subscriber.unsubscribe-all": "Unsubscribed them from every email",
    "subscriber.resend-confirmation": "Resent the confirmation email",
}


def _apply(action: str, subscriber: Subscriber) -> None:
    """Run one action's operation (mail it asks for is queued for the worker)."""
    now = utcnow()
    session = db.session()
    if action == "pause":
        preferences.pause(session, subscriber, None, now)  # until resumed
    elif action == "resume":
        preferences.resume(session, subscriber, now)
    elif action == "restart":
        preferences.restart_course(session, subscriber, now)
    elif action == "unsubscribe-course":
        preferences.unsubscribe(session, subscriber, preferences.Scope.COURSE, now)
    elif action == "unsubscribe-all":
        preferences.unsubscribe(session, subscriber, preferences.Scope.ALL, now)
    elif action == "resend-confirmation":
        mailing.queue_confirmation(session, subscriber, now)


@bp.route("/subscribers/<int:subscriber_id>/<any(" + ", ".join(f'"{a}"' for a in ACTIONS)
          + "):action>", methods=["POST"])
@role_required()
def patient_action(subscriber_id: int, action: str) -> Response:
    """One button on the patient's page; the audit log says who pressed it."""
    subscriber = _subscriber(subscriber_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    before = _state(subscriber)
    try:
        _apply(action, subscriber)
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.patient", subscriber_id=subscriber_id))
    record(db.session(), current_user, f"subscriber.{action}", f"subscriber:{subscriber.id}",
           before, _state(subscriber))
    db.session.commit()
    flash(ACTIONS[action], "success")
    return redirect(url_for("admin.patient", subscriber_id=subscriber_id))


@bp.route("/subscribers/<int:subscriber_id>/delete", methods=["POST"])
@role_required()
def patient_delete(subscriber_id: int) -> Response:
    """Erase the patient and everything about them, once the box is ticked."""
    subscriber = _subscriber(subscriber_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm the deletion: nothing was deleted.", "error")
        return redirect(url_for("admin.patient", subscriber_id=subscriber_id))
    erasure = preferences.erase(db.session(), subscriber, utcnow())
    record(db.session(), current_user, "subscriber.delete", f"subscriber:{subscriber_id}",
           None, {"deliveries_erased": erasure.deliveries_erased})
    db.session.commit()
    flash("The patient and all their data are deleted.", "success")
    return redirect(url_for("admin.subscribers"))
