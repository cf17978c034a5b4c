"""The dashboard at /admin: counts by status, signups, the course funnel, delivery health."""

from __future__ import annotations

from flask import render_template

from service.web.admin import bp
from service.web.admin.access import role_required


@bp.route("/")
@role_required()
def dashboard() -> str:
    """How the course is doing, for every role."""
    return render_template("admin/dashboard.html")
