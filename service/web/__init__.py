"""The web layer: blueprints, error pages and the health check."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from service.errors import ServiceError
from service.extensions import db


def init_app(app: Flask) -> None:
    from service.web import admin
    from service.web.public import bp as public_bp
    from service.web.subscriber import bp as subscriber_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(subscriber_bp)
    admin.init_app(app)
    app.add_url_rule("/healthz", "healthz", healthz)
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
        }


def healthz() -> tuple[str, int]:
    """200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        db.session.rollback()
        return "database unavailable\n", 503
    return "ok\n", 200


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _error_page(status: int, title: str, message: str) -> tuple[object, int]:
    db.session.rollback()
    if _wants_json():
        return {"error": title, "message": message}, status
    return render_template("error.html", title=title, message=message), status


def _service_error(error: ServiceError) -> tuple[object, int]:
    return _error_page(error.status_code, error.title, error.message)


def _csrf_error(error: CSRFError) -> tuple[object, int]:
    return _error_page(
        400,
        "Please try again",
        "The form expired or was not sent from our page. Reload it and try again.",
    )


def _http_error(error: HTTPException) -> tuple[object, int]:
    status = error.code or 500
    return _error_page(status, error.name, error.description or "")
