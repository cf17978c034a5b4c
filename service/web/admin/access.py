"""Who may see what in /admin: login required everywhere, roles per view, idle sessions end.

- `role_required(*roles)` wraps a view: not logged in -> redirect to /admin/login (401 JSON
  when the caller asked for JSON); logged in with another role -> 403. With no roles given,
  any logged-in staff member may use the view. The allowed roles are kept on the view as
  `admin_roles`, which the route-walk test reads.
- Every admin request also passes `require_login` (a blueprint `before_request`), so a view
  that forgot the decorator is still closed to the public.
- A session ends after ADMIN_IDLE_MINUTES without a request (checked on the server from a
  timestamp in the signed session cookie, so an old cookie replayed later does not work).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from markupsafe import escape

from service.extensions import db, login_manager
from service.mail.render import RenderError
from service.models import Staff, StaffRole, utcnow
from service.web.admin.forms import LoginForm

F = TypeVar("F", bound=Callable[..., Any])
ALL_ROLES = frozenset(StaffRole)
# Endpoints open to people who are not logged in.
PUBLIC_ENDPOINTS = frozenset({"admin.login"})
SEEN_KEY = "admin_seen"


def wants_json() -> bool:
    """Whether the caller asked for JSON rather than a page."""
    return request.is_json or request.accept_mimetypes.best == "application/json"


@login_manager.user_loader
def load_staff(user_id: str) -> Staff | None:
    """The staff member a session names, if the account is active and the token current."""
    key, _, token = user_id.partition(".")
    if not key.isdigit():
        return None
    staff = db.session.get(Staff, int(key))
    if staff is None or not staff.active or staff.session_token != token:
        return None
    return staff


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """Not logged in: 401 for JSON callers, otherwise the login page (coming back here)."""
    if wants_json():
        response = jsonify(error="login required", message="Log in to the admin first.")
        response.status_code = 401
        return response
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return cast(Response, redirect(url_for("admin.login", next=target)))


def role_required(*roles: StaffRole | str) -> Callable[[F], F]:
    """Allow a view only to logged-in staff with one of `roles` (any role when none given)."""
    allowed = frozenset(StaffRole(role) for role in roles) or ALL_ROLES

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return unauthorized()
            if current_user.role not in allowed:
                abort(403, "Your role does not allow this. Ask an owner if you need it.")
            return view(*args, **kwargs)

        wrapped.admin_roles = allowed  # type: ignore[attr-defined]
        return cast(F, wrapped)

    return decorator


def idle_limit_seconds() -> int:
    """How long a session may sit unused (ADMIN_IDLE_MINUTES, default 30)."""
    return int(current_app.config.get("ADMIN_IDLE_MINUTES", 30)) * 60


def mark_seen() -> None:
    """Start (or extend) the idle clock of the current session."""
    session[SEEN_KEY] = int(utcnow().timestamp())


def require_login() -> Response | None:
    """Before every admin request: end idle sessions, send strangers to the login page."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if current_user.is_authenticated:
        seen = session.get(SEEN_KEY)
        now = int(utcnow().timestamp())
        if not isinstance(seen, int) or now - seen > idle_limit_seconds():
            kept = _unsaved_text()
            logout_user()
            session.clear()
            flash("Your session ended after a while without activity. Please log in again.",
                  "error")
            if kept:
                return _login_keeping(kept)
            return _unauthorized()
        mark_seen()
        return None
    return _unauthorized()


# The fields of the lesson editor and the newsletter's compose form, as the login page
# shows them when a session ended just as they were saved.
KEPT_FIELDS = {"subject": "Subject", "preheader": "Preheader", "body": "Text (Markdown)",
               "sources": "Sources"}


def _unsaved_text() -> dict[str, str]:
    """The text of an editor form posted as its session ended. CSRFProtect has already
    checked the post came from our own page in this browser, so giving it back is safe."""
    if request.method != "POST" or not request.form.get("body", "").strip():
        return {}
    return {name: request.form[name] for name in KEPT_FIELDS
            if request.form.get(name, "").strip()}


def _login_keeping(kept: dict[str, str]) -> Response:
    """The login page, with the unsaved text to copy back once logged in (nothing is
    stored: the session it belonged to is over)."""
    page = render_template("admin/login.html", form=LoginForm(), kept=kept,
                           kept_labels=KEPT_FIELDS, next_url=request.path)
    return Response(page, status=401)


def _unauthorized() -> Response:
    """Flask-Login's answer to a stranger: the login page, or 401 for JSON."""
    answer: Response = unauthorized()
    return answer


def private_headers(response: Response) -> Response:
    """Admin pages hold patient data: no caching, no framing, scripts and styles from us only."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
        "object-src 'none'",
    )
    return response


def email_frame(html: str) -> Response:
    """An email's HTML for a sandboxed iframe: no scripts, no forms, inline styles allowed.

    Use as the `src` of `<iframe sandbox>` in an admin page (outbox, lesson preview).
    """
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; "
        "font-src https: data:; frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def preview_frame(render: Callable[[], tuple[str, str]], view: str) -> Response:
    """An editor's preview frame: `render()` gives (HTML, text part); view "text" shows the
    text part. A layout that fails to render shows why instead."""
    try:
        html, text = render()
    except RenderError as error:
        return email_frame(f"<p>The email cannot be rendered: {escape(str(error))}</p>")
    if view == "text":
        return email_frame(f"<pre style=\"white-space:pre-wrap;font:14px/1.5 monospace;"
                           f"margin:12px\">{escape(text)}</pre>")
    return email_frame(html)
