"""Old links are not dead ends: the expired-link page and "email me a fresh link"."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from service import tokens
from service.errors import ExpiredToken
from service.extensions import db
from service.models import utcnow
from service.subscriptions import operations
from service.subscriptions.validation import FieldError, normalise_email
from service.web.common import commit_with_retry, limited

bp = Blueprint("fresh", __name__)


def expired_page(error: ExpiredToken) -> tuple[str, int]:
    """The page for a genuine but old link: a fresh link by email, or stop mail anyway."""
    db.session.rollback()
    token = (request.view_args or {}).get("token")
    stop_anyway = error.purpose == tokens.UNSUBSCRIBE and isinstance(token, str)
    page = render_template(
        "expired.html", message=error.message, purpose=error.purpose,
        stop_token=token if stop_anyway else None, values={}, errors={},
    )
    return page, error.status_code


@bp.post("/links/fresh")
@limited
def fresh_link() -> tuple[str, int]:
    """Queue fresh links for the address; the answer is the same whether or not it is ours."""
    raw = request.form.get("email", "")
    try:
        email = normalise_email(raw)
    except FieldError as error:
        page = render_template("expired.html", message=None, purpose="", stop_token=None,
                               values={"email": raw}, errors={"email": error.message})
        return page, 400
    # Only rows are written here (no SMTP in the request): the worker sends them within
    # seconds, so neither the words nor the time of this answer say whether we know the address.
    commit_with_retry(lambda: operations.send_fresh_links(db.session(), email, utcnow()))
    return render_template("fresh_sent.html", email=email), 200
