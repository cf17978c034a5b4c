"""Clinical review in the admin: the queue, the diff, approve or send back, history, rollback,
and "send me a test"."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from service.course import review, revisions
from service.course.test_send import queue_test_send
from service.extensions import db
from service.mail.render import ClinicSettings
from service.models import (
    IssueStatus,
    Lesson,
    LessonRevision,
    NewsletterIssue,
    record,
    utcnow,
)
from service.models.course import RevisionStatus
from service.web.admin import bp
from service.web.admin.access import role_required
from service.web.admin.lessons import lesson_or_404


def _revision(lesson: Lesson, number: int) -> LessonRevision:
    revision = revisions.find(lesson, number)
    if revision is None:
        abort(404, "This lesson has no such revision.")
    return revision


def _zone() -> str:
    return str(current_app.config.get("CLINIC_TIMEZONE") or "UTC")


@bp.route("/reviews")
@role_required()
def review_queue() -> str:
    """Every lesson revision and newsletter issue waiting for a clinician, oldest first."""
    waiting = db.session.scalars(
        select(LessonRevision).where(LessonRevision.status == RevisionStatus.IN_REVIEW)
        .order_by(LessonRevision.submitted_at)).all()
    issues = db.session.scalars(
        select(NewsletterIssue).where(NewsletterIssue.status == IssueStatus.IN_REVIEW)
        .order_by(NewsletterIssue.submitted_at)).all()
    return render_template("admin/lessons_queue.html", waiting=waiting, issues=issues,
                           can_review=review.can_review(current_user))


@bp.route("/lessons/<slug>/revisions/<int:number>")
@role_required()
def show_revision(slug: str, number: int) -> str:
    """One revision: who wrote and reviewed it, its diff against the published text, and,
    for a clinician when it waits for review, the approve and send-back forms."""
    lesson = lesson_or_404(slug)
    revision = _revision(lesson, number)
    published = lesson.published
    base = published if published is not None and published.number != number else \
        revisions.find(lesson, number - 1)
    rows = revisions.diff_rows(revisions.as_text(base), revisions.as_text(revision))
    result = review.check(lesson, revision, ClinicSettings.from_config(current_app.config))
    return render_template("admin/lessons_review.html", lesson=lesson, revision=revision,
                           base=base, rows=rows, result=result,
                           can_review=review.can_review(current_user))


@bp.route("/lessons/<slug>/revisions/<int:number>/approve", methods=["POST"])
@role_required("reviewer", "owner")
def approve_revision(slug: str, number: int) -> Response:
    """Approve and publish; refused (409) when the revision fails the lesson check."""
    lesson = lesson_or_404(slug)
    review.approve(db.session(), lesson, number, current_user, utcnow(),
                   ClinicSettings.from_config(current_app.config),
                   seen_hash=request.form.get("seen_hash", ""), zone=_zone())
    db.session.commit()
    flash(f"Revision {number} is approved and published: subscribers who have not had "
          "this lesson will get it.", "success")
    return redirect(url_for("admin.lesson_history", slug=slug))


@bp.route("/lessons/<slug>/revisions/<int:number>/send-back", methods=["POST"])
@role_required("reviewer", "owner")
def send_back_revision(slug: str, number: int) -> Response:
    """Return a submitted revision to its author with a comment."""
    review.send_back(db.session(), lesson_or_404(slug), number, current_user,
                     request.form.get("comment", ""), utcnow())
    db.session.commit()
    flash(f"Revision {number} went back to its author with your comment.", "success")
    return redirect(url_for("admin.review_queue"))


@bp.route("/lessons/<slug>/history")
@role_required()
def lesson_history(slug: str) -> str:
    """Every revision, newest first, with author, reviewer and times."""
    lesson = lesson_or_404(slug)
    return render_template("admin/lessons_history.html", lesson=lesson,
                           history=list(reversed(lesson.revisions)),
                           can_review=review.can_review(current_user))


@bp.route("/lessons/<slug>/revisions/<int:number>/rollback", methods=["POST"])
@role_required()
def rollback_revision(slug: str, number: int) -> Response:
    """Restore an earlier text as a new revision (published at once only as review.py says)."""
    lesson = lesson_or_404(slug)
    restored = review.rollback(db.session(), lesson, number, current_user, utcnow(),
                               ClinicSettings.from_config(current_app.config), zone=_zone())
    db.session.commit()
    if restored.status == RevisionStatus.PUBLISHED:
        flash(f"Revision {number}'s text is published again as revision {restored.number}.",
              "success")
    else:
        flash(f"Revision {number}'s text is back as revision {restored.number}, waiting for "
              "a clinician's review.", "success")
    return redirect(url_for("admin.lesson_history", slug=slug))


@bp.route("/lessons/<slug>/test", methods=["POST"])
@role_required()
def send_test(slug: str) -> Response:
    """Queue the draft (or the published text) to the logged-in staff member's address."""
    lesson = lesson_or_404(slug)
    number = request.form.get("number", type=int)
    revision = revisions.find(lesson, number) if number else \
        (revisions.open_draft(lesson) or lesson.published)
    if revision is None:
        abort(404, "This lesson has no such revision.")
    now = utcnow()
    queue_test_send(db.session(), current_user.email, revision, now)
    record(db.session(), current_user, "lesson.test_send", f"lesson:{slug}",
           after={"number": revision.number, "to": current_user.email}, now=now)
    db.session.commit()
    flash(f"A test of revision {revision.number} is on its way to {current_user.email}.",
          "success")
    return redirect(url_for("admin.edit_lesson", slug=slug))
