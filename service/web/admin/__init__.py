"""The staff admin at /admin: one blueprint, `admin`, with a view module per area.

How to add an area (a view module in this package):

    from service.web.admin import bp
    from service.web.admin.access import role_required

    @bp.route("/things")
    @role_required()                      # any staff; or role_required("reviewer", "owner")
    def things() -> str: ...

then import the module in `_VIEW_MODULES` below and, for a menu entry, add a `NavItem` to
`NAV`. Templates extend "admin/base.html" (blocks `title` and `content`) and hide links a
role may not use with `admin_can(endpoint)`; a POST form uses a form from `forms.py` (CSRF)
and, for single buttons, `action_button` from admin/_macros.html. A change records itself
with `service.models.record(db.session(), current_user, action, target, before, after)`
before the request's one commit.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, request
from flask_login import current_user

from service.extensions import login_manager
from service.models import StaffRole
from service.web.admin import access, formatting

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(access.require_login)
bp.after_request(access.private_headers)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: frozenset[StaffRole] = access.ALL_ROLES
    # Endpoints (prefixes) of the pages under this entry, which it marks as current.
    under: tuple[str, ...] = ()
    dev_outbox_only: bool = False  # shown only while mail goes to the dev outbox

    def current(self, endpoint: str | None) -> bool:
        """Whether the page at `endpoint` belongs to this menu entry."""
        return bool(endpoint) and any(
            endpoint.startswith(prefix)  # type: ignore[union-attr]
            for prefix in (self.endpoint, *self.under)
        )


NAV = [
    NavItem("admin.dashboard", "Dashboard"),
    NavItem("admin.subscribers", "Patients", under=("admin.patient",)),
    NavItem("admin.lessons", "Lessons"),
    NavItem("admin.review_queue", "Reviews"),
    NavItem("admin.newsletters", "Newsletter", under=("admin.newsletter",)),
    NavItem("admin.outbox", "Dev outbox", dev_outbox_only=True),
    NavItem("admin.staff_list", "Staff", frozenset({StaffRole.OWNER}), under=("admin.staff_",)),
    NavItem("admin.audit_log", "Audit log", frozenset({StaffRole.OWNER})),
]

_VIEW_MODULES = (
    "auth", "dashboard", "subscribers", "patient", "bulk", "staff", "audit", "outbox",
    "lessons", "newsletters", "newsletter_actions",
)


def can(endpoint: str) -> bool:
    """Whether the logged-in staff member's role may use the view at `endpoint`.

    Templates call it as `admin_can("admin.subscribers_export")` to hide what would be 403.
    """
    view = current_app.view_functions.get(endpoint)
    roles = getattr(view, "admin_roles", None)
    return bool(current_user.is_authenticated and roles is not None
                and current_user.role in roles)


@bp.app_context_processor
def _admin_nav() -> dict[str, object]:
    """The menu entries that exist and that the logged-in role may open, and `admin_can`."""
    if not current_user.is_authenticated:
        return {"admin_nav": [], "admin_can": can}
    items = [
        item for item in NAV
        if item.endpoint in current_app.view_functions and current_user.role in item.roles
        and not (item.dev_outbox_only and current_app.config.get("SMTP_URL"))
    ]
    return {"admin_nav": items, "admin_can": can}


def init_app(app: Flask) -> None:
    """Load every view module, register the blueprint, and set up staff sessions."""
    for name in _VIEW_MODULES:
        importlib.import_module(f"{__name__}.{name}")  # each module adds its routes to bp
    if "admin" not in app.blueprints:
        app.register_blueprint(bp)
    formatting.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config.setdefault("ADMIN_IDLE_MINUTES", 30)
    app.config.setdefault("ADMIN_UPLOAD_LIMIT", 20 * 1024 * 1024)
    # Before CSRFProtect reads the form: a CSV upload may exceed the site-wide body limit.
    app.before_request_funcs.setdefault(None, []).insert(0, _upload_limit)


def _upload_limit() -> None:
    """Let logged-in staff upload a CSV larger than MAX_CONTENT_LENGTH."""
    if request.endpoint == "admin.subscribers_import" and current_user.is_authenticated:
        request.max_content_length = int(current_app.config["ADMIN_UPLOAD_LIMIT"])
