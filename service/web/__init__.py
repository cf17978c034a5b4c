"""The web layer: blueprints, error pages and the health check."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from service.delivery.store import current_hold
from service.errors import ExpiredToken, ServiceError
from service.extensions import db
from service.models import utcnow
from service.web import access_log, input_guard, rate_limits, security_headers


def init_app(app: Flask) -> None:
    from service.web import (
        admin,
        unsubscribe,  # noqa: F401 - its routes join the subscriber bp
    )
    from service.web.archive import bp as archive_bp
    from service.web.challenge import bp as challenge_bp
    from service.web.clinic_logo import bp as clinic_logo_bp
    from service.web.course_pages import bp as course_pages_bp
    from service.web.fresh import bp as fresh_bp
    from service.web.fresh import expired_page
    from service.web.public import bp as public_bp
    from service.web.subscriber import bp as subscriber_bp

    app.register_blueprint(clinic_logo_bp)
    app.register_blueprint(challenge_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(subscriber_bp)
    app.register_blueprint(fresh_bp)
    app.register_blueprint(course_pages_bp)
    app.register_blueprint(archive_bp)
    app.add_url_rule("/healthz", "healthz", healthz)
    access_log.init_app()
    input_guard.init_app(app)
    rate_limits.init_app(app)
    # After the input guard: the admin's CSV upload limit must apply before anything reads
    # the body (both hooks go first in line).
    admin.init_app(app)
    security_headers.init_app(app)
    app.register_error_handler(ExpiredToken, expired_page)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)

    @app.context_processor
    def clinic() -> dict[str, str]:
        return {
            "clinic_name": app.config["CLINIC_NAME"],
            "clinic_address": app.config["CLINIC_POSTAL_ADDRESS"],
            "clinic_phone": app.config["CLINIC_PHONE"],
            "booking_url": app.config["CLINIC_BOOKING_URL"],
            "signup_challenge": bool(app.config.get("SIGNUP_CHALLENGE")),
        }


def healthz() -> tuple[str, int]:
    """200 when the database answers (503 when not); the body says if sending is held.

    A held outbox stays 200: restarting the web process (what a failing health check makes
    a platform do) cannot fix the clinic's DNS records and would take the signup page down.
    The hold keeps only the reply's code: a server's text may quote a recipient's address.
    """
    try:
        db.session.execute(text("SELECT 1"))
        held = current_hold(db.session(), utcnow())
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        db.session.rollback()
        return "database unavailable\n", 503
    if held is None:
        return "ok\nsending: ok\n", 200
    return (f"ok\nsending: held until {held.until.isoformat()}: the mail server refused our "
            f"mail for policy reasons ({held.reply}); check SPF, DKIM and DMARC\n"), 200


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _error_page(status: int, title: str, message: str) -> ResponseReturnValue:
    db.session.rollback()
    if _wants_json():
        return {"error": title, "message": message}, status
    if request.blueprint == "admin":
        # Staff stay in the admin's layout (its menu, no signup link); it reads the staff
        # member from the database, so when that fails too the plain page answers.
        try:
            return render_template("admin/error.html", title=title, message=message), status
        except SQLAlchemyError:
            db.session.rollback()
    return render_template("error.html", title=title, message=message), status


def _service_error(error: ServiceError) -> ResponseReturnValue:
    return _error_page(error.status_code, error.title, error.message)


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    return _error_page(
        400,
        "Please try again",
        "The form expired or was not sent from our page. Reload it and try again.",
    )


def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    return _error_page(status, error.name, error.description or "")
