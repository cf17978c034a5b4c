"""Logging in and out of the admin, throttled per account and per IP."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from service.extensions import db
from service.models import record, utcnow
from service.models.staff import new_session_token
from service.staff import accounts, throttle
from service.web.admin import bp
from service.web.admin.access import mark_seen, role_required
from service.web.admin.forms import ActionForm, LoginForm

WRONG = "That email and password do not match an active staff login."


def _safe_next(target: str | None) -> str:
    """Only go back to an admin page on this site (no open redirect)."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """The login form; a success starts a fresh session and goes where the person was headed."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("admin/login.html", form=form), 400 if request.method == "POST" \
            else 200
    now = utcnow()
    ip = request.remote_addr or "unknown"
    limits = throttle.Limits.from_config(current_app.config)
    email = form.email.data or ""
    if throttle.is_throttled(db.session(), email, ip, now, limits):
        minutes = int(limits.window.total_seconds() // 60)
        form.password.errors = [f"Too many failed tries. Wait {minutes} minutes and try again."]
        return render_template("admin/login.html", form=form), 429
    staff = accounts.authenticate(db.session(), email, form.password.data or "", now)
    if staff is None:
        throttle.record_failure(db.session(), email, ip, now, limits)
        db.session.commit()
        form.password.errors = [WRONG]
        return render_template("admin/login.html", form=form), 200
    throttle.clear_account(db.session(), staff.email)
    record(db.session(), staff, "staff.login", f"staff:{staff.id}", now=now)
    db.session.commit()
    session.clear()  # nothing from before the login carries over
    login_user(staff)
    mark_seen()
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
@role_required()
def logout() -> Response:
    """End the session (a POST with CSRF, so a link elsewhere cannot log anyone out).

    The session lives in a signed cookie, so a copy of it would outlive the logout; a new
    session token makes every copy, and this person's sessions on other devices, invalid.
    """
    if ActionForm().validate_on_submit():
        record(db.session(), current_user, "staff.logout", f"staff:{current_user.id}")
        current_user.session_token = new_session_token()
        db.session.commit()
        logout_user()
        session.clear()
        flash("You are logged out, on every device.", "success")
    return redirect(url_for("admin.login"))
