"""The dashboard at /admin: counts by status, signups, the course funnel, delivery health."""

from __future__ import annotations

from flask import current_app, render_template

from service.delivery.health import health
from service.extensions import db
from service.models import utcnow
from service.subscriptions import stats
from service.web.admin import bp, charts
from service.web.admin.access import role_required


@bp.route("/")
@role_required()
def dashboard() -> str:
    """How the course is doing, for every role."""
    now = utcnow()
    days = stats.per_day(db.session(), now, current_app.config["CLINIC_TIMEZONE"])
    steps = stats.funnel(db.session())
    daily = charts.daily(
        [f"{d.day:%b} {d.day.day}" for d in days], [d.signups for d in days],
        [d.confirmations for d in days],
    )
    funnel = charts.funnel(
        [f"Lesson {s.position}" for s in steps], [s.received for s in steps],
        [s.stopped + s.paused for s in steps],
    )
    state = health(db.session(), now)
    return render_template(
        "admin/dashboard.html", counts=stats.counts_by_standing(db.session()), days=days,
        daily=daily, steps=steps, funnel=funnel, health=state, alive=state.worker_alive(now),
        total_signups=sum(d.signups for d in days),
        total_confirmations=sum(d.confirmations for d in days),
    )
