"""The audit log at /admin/audit, for owners: newest first, keyset pages, filter by action."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry
from service.web.admin import bp
from service.web.admin.access import role_required
from service.web.admin.subscribers import int_arg

PAGE = 100


@bp.route("/audit")
@role_required("owner")
def audit_log() -> str:
    """Who did what, when; before and after for content changes."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE + 1)
    before = int_arg("before")
    if before is not None:
        query = query.where(AuditEntry.id < before)
    action = request.args.get("action", "").strip()[:60]
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    entries = db.session.scalars(query).all()
    older = entries[PAGE - 1].id if len(entries) > PAGE else None
    return render_template("admin/audit.html", entries=entries[:PAGE], older=older, action=action)
