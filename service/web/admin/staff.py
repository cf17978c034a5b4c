"""Owners manage staff logins at /admin/staff (the same rules as `flask staff ...`)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from service.errors import InvalidInput
from service.extensions import db
from service.models import Staff
from service.staff import accounts
from service.web.admin import bp
from service.web.admin.access import role_required
from service.web.admin.forms import StaffForm
from service.web.admin.rows import row_or_404


@bp.route("/staff")
@role_required("owner")
def staff_list() -> str:
    """Every staff login with role, clinician flag and last login."""
    people = db.session.scalars(select(Staff).order_by(Staff.email)).all()
    return render_template("admin/staff_list.html", people=people)


@bp.route("/staff/new", methods=["GET", "POST"])
@role_required("owner")
def staff_new() -> str | Response | tuple[str, int]:
    """Add a staff login; the password is set here and told to the person another way."""
    form = StaffForm()
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors = ["A new login needs a password."]
        else:
            try:
                staff = accounts.create(
                    db.session(), current_user, form.email.data or "", form.password.data,
                    form.role.data or "", display_name=form.display_name.data or "",
                    is_clinician=form.is_clinician.data, credentials=form.credentials.data or "",
                )
                staff.sign_reviews = form.sign_reviews.data
                db.session.commit()
                flash(f"{staff.email} can now log in as {staff.role}.", "success")
                return redirect(url_for("admin.staff_list"))
            except InvalidInput as error:
                db.session.rollback()
                form.email.errors = [error.message]
    status = 400 if form.errors else 200
    return render_template("admin/staff_form.html", form=form, person=None), status


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
@role_required("owner")
def staff_edit(staff_id: int) -> str | Response | tuple[str, int]:
    """Change a login's role, details, access or password."""
    person = row_or_404(Staff, staff_id, "No staff login with this number.")
    form = StaffForm(obj=person)
    form.email.render_kw = {"readonly": True}
    if form.validate_on_submit():
        try:
            accounts.update(
                db.session(), current_user, person, role=form.role.data or "",
                display_name=form.display_name.data or "", is_clinician=form.is_clinician.data,
                credentials=form.credentials.data or "", sign_reviews=form.sign_reviews.data,
                active=form.active.data,
            )
            if form.password.data:
                accounts.set_password(db.session(), current_user, person, form.password.data)
            db.session.commit()
            flash(f"Saved {person.email}.", "success")
            return redirect(url_for("admin.staff_list"))
        except InvalidInput as error:
            db.session.rollback()
            form.role.errors = [error.message]
    status = 400 if form.errors else 200
    return render_template("admin/staff_form.html", form=form, person=person), status
