"""The patient list at /admin/subscribers: search, filters, keyset pages."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from service.extensions import db
from service.models import Lesson
from service.subscriptions.directory import Filters, Standing, find_page, standing
from service.web.admin import bp
from service.web.admin.access import role_required


def int_arg(name: str) -> int | None:
    """A whole-number query argument, or None (also for one too big for the database)."""
    value = request.args.get(name, "").strip()
    return int(value) if value.isdecimal() and len(value) <= 18 else None


def _filters() -> Filters:
    raw = request.args.get("status", "")
    chosen = Standing(raw) if raw in {s.value for s in Standing} else None
    return Filters(query=request.args.get("q", "")[:200], standing=chosen,
                   lesson=int_arg("lesson"))


@bp.route("/subscribers")
@role_required()
def subscribers() -> str:
    """Find a patient by address or name; filter by where they stand and how far they got."""
    filters = _filters()
    page = find_page(db.session(), filters, before=int_arg("before"), after=int_arg("after"))
    positions = db.session.scalars(select(Lesson.position).order_by(Lesson.position)).all()
    kept = {k: v for k, v in request.args.items() if k in ("q", "status", "lesson") and v}
    return render_template(
        "admin/subscribers.html", page=page, filters=filters, standings=list(Standing),
        positions=positions, standing=standing, kept=kept,
    )
