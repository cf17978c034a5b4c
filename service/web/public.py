"""Public pages: signup, confirm, unsubscribe, preferences."""

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def signup_page() -> str:
    return render_template("error.html", title="Coming soon", message="")
