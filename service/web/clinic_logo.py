"""The clinic's logo for the emails, served from the instance folder (no third-party host)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_from_directory
from werkzeug.exceptions import NotFound

from service.config import LOGO_FILES

bp = Blueprint("clinic_logo", __name__)


@bp.get("/clinic/<name>")
def logo(name: str) -> Response:
    """instance/logo.png or logo.jpg; 404 for any other name or when there is none."""
    if name not in LOGO_FILES:
        raise NotFound()
    response = send_from_directory(current_app.instance_path, name, max_age=86400)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
