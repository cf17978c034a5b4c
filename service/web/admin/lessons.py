"""Lessons in the admin: the list (reorder, add, retire) and the editor with its live preview.

The editor works without JavaScript: "Preview" posts the form into the preview frame and
"Save draft" shows the checks of what was saved. admin-editor.js (served from /static, no
inline script) adds the live preview and checks as staff type.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import escape
from werkzeug.wrappers import Response

from service.course import lineup, review, revisions
from service.course.checking import snippets
from service.course.outline import course_places
from service.course.preview import preview_lesson
from service.course.revisions import FieldErrors, Fields
from service.errors import ServiceError
from service.extensions import db
from service.mail.compose import SAMPLE_NAME
from service.mail.render import ClinicSettings
from service.models import Lesson, utcnow
from service.web.admin import bp
from service.web.admin.access import email_frame, preview_frame, role_required

VIEWS = ("desktop", "phone", "text")


def lesson_or_404(slug: str) -> Lesson:
    lesson = lineup.get_lesson(db.session(), slug)
    if lesson is None:
        abort(404, "There is no lesson with that name.")
    return lesson


def _settings() -> ClinicSettings:
    return ClinicSettings.from_config(current_app.config)


@bp.route("/lessons")
@role_required()
def lessons() -> str:
    """Every lesson in course order with its state, grade and last edit."""
    rows = []
    for lesson in lineup.all_lessons(db.session()):
        shown = revisions.open_draft(lesson) or lesson.published or lesson.latest
        grade = review.check(lesson, shown, _settings()).grade if shown else None
        rows.append((lesson, shown, revisions.status_label(lesson), grade))
    return render_template("admin/lessons.html", rows=rows,
                           can_retire=review.can_retire(current_user))


@bp.route("/lessons", methods=["POST"])
@role_required()
def add_lesson() -> Response:
    """A new lesson at the end of the course, opened in the editor."""
    try:
        lesson = lineup.add_lesson(db.session(), request.form.get("slug", ""),
                                   request.form.get("subject", ""), current_user, utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(f"The lesson was not added: {error.message}", "error")
        return redirect(url_for("admin.lessons"))
    db.session.commit()
    flash("Lesson added as a draft. Write it, then submit it for review.", "success")
    return redirect(url_for("admin.edit_lesson", slug=lesson.slug))


@bp.route("/lessons/<slug>/move", methods=["POST"])
@role_required()
def move_lesson(slug: str) -> Response:
    """Move a lesson one place up or down the course."""
    direction = -1 if request.form.get("direction") == "up" else 1
    moved = lineup.move(db.session(), lesson_or_404(slug), direction, current_user, utcnow())
    if moved is not None:
        db.session.commit()
    return redirect(url_for("admin.lessons", _anchor=f"lesson-{slug}"))


@bp.route("/lessons/<slug>/retire", methods=["POST"])
@role_required("reviewer", "owner")
def retire_lesson(slug: str) -> Response:
    """Take a lesson out of the course (or, with restore=1, put it back)."""
    lesson = lesson_or_404(slug)
    if request.form.get("restore"):
        lineup.restore(db.session(), lesson, current_user, utcnow())
        message = f"{slug} is back in the course."
    else:
        lineup.retire(db.session(), lesson, current_user, utcnow())
        message = f"{slug} is retired: subscribers who have not had it will skip it."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.lessons"))


@bp.route("/lessons/<slug>/review-line", methods=["POST"])
@role_required("reviewer", "owner")
def review_line(slug: str) -> Response:
    """Show (show=1) or hide the "Reviewed by" line in this lesson's emails."""
    show = request.form.get("show") == "1"
    lineup.show_review_credit(db.session(), lesson_or_404(slug), show, current_user, utcnow())
    db.session.commit()
    flash("The “Reviewed by” line is " + ("shown." if show else "hidden."), "success")
    return redirect(url_for("admin.edit_lesson", slug=slug))


def _editor(lesson: Lesson, fields: Fields, errors: dict[str, str] | None = None,
            status: int = 200) -> tuple[str, int]:
    draft = revisions.open_draft(lesson)
    result = review.check(lesson, fields, _settings()) if not errors else None
    shown = draft or lesson.published or lesson.latest
    return render_template(
        "admin/lessons_edit.html", lesson=lesson, fields=fields, errors=errors or {},
        draft=draft, result=result, shown=shown, status=revisions.status_label(lesson),
        view=request.values.get("view") if request.values.get("view") in VIEWS else "desktop",
        can_review=review.can_review(current_user), snippets=snippets, sample_name=SAMPLE_NAME,
        can_retire=review.can_retire(current_user),
    ), status


@bp.route("/lessons/<slug>")
@role_required()
def edit_lesson(slug: str) -> tuple[str, int]:
    """The editor: the open draft (or the published text), its preview and its checks."""
    lesson = lesson_or_404(slug)
    return _editor(lesson, lineup.editable(lesson))


@bp.route("/lessons/<slug>", methods=["POST"])
@role_required()
def save_lesson(slug: str) -> Response | tuple[str, int]:
    """Save the draft; with action=submit, also send it to the reviewers."""
    lesson = lesson_or_404(slug)
    try:
        fields = revisions.parse_fields(request.form)
    except FieldErrors as error:
        raw = Fields(request.form.get("subject", ""), request.form.get("preheader", ""), 1,
                     request.form.get("body", ""), tuple(request.form.get("sources", "")
                                                         .splitlines()))
        return _editor(lesson, raw, error.errors, 400)
    now = utcnow()
    saved = review.save_draft(db.session(), lesson, fields, current_user, now)
    if request.form.get("action") == "submit":
        try:
            review.submit(db.session(), lesson, current_user, now)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("admin.edit_lesson", slug=slug))
        flash("Draft sent for clinical review.", "success")
    else:
        flash("Draft saved." if saved else "Nothing changed.", "success")
    db.session.commit()
    return redirect(url_for("admin.edit_lesson", slug=slug))


def _frame(lesson: Lesson, revision: object, view: str) -> Response:
    def render() -> tuple[str, str]:
        place = course_places(db.session()).get(lesson.id)
        preview = preview_lesson(lesson.slug, revision, current_app.config, place=place)
        return preview.html, preview.text

    return preview_frame(render, view)


@bp.route("/lessons/<slug>/preview")
@role_required()
def preview_revision(slug: str) -> Response:
    """A stored revision (default: the published one) exactly as a delivery renders it."""
    lesson = lesson_or_404(slug)
    number = request.args.get("number", type=int) or lesson.published_number
    revision = revisions.find(lesson, number) if number else lesson.latest
    if revision is None:
        abort(404, "This lesson has no such revision.")
    return _frame(lesson, revision, request.args.get("view", "desktop"))


@bp.route("/lessons/<slug>/preview", methods=["POST"])
@role_required()
def preview_form(slug: str) -> Response:
    """The editor's unsaved text as the email a subscriber would get; nothing is stored."""
    lesson = lesson_or_404(slug)
    try:
        fields = revisions.parse_fields(request.form)
    except FieldErrors as error:
        items = "".join(f"<li>{escape(message)}</li>" for message in error.errors.values())
        return email_frame(f"<p>Fix these to see the preview:</p><ul>{items}</ul>")
    return _frame(lesson, fields, request.form.get("view", "desktop"))


@bp.route("/lessons/<slug>/check", methods=["POST"])
@role_required()
def check_form(slug: str) -> str:
    """The readability and safety panel for the editor's unsaved text (an HTML fragment)."""
    lesson = lesson_or_404(slug)
    try:
        fields = revisions.parse_fields(request.form)
    except FieldErrors as error:
        return render_template("admin/lessons_panel.html", result=None, errors=error.errors,
                               fields=None, snippets=snippets)
    return render_template("admin/lessons_panel.html", errors={}, fields=fields,
                           result=review.check(lesson, fields, _settings()), snippets=snippets)


from service.web.admin import lesson_review  # noqa: E402, F401 - the review and history views
