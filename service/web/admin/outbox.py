"""The dev outbox at /admin/outbox: the `.eml` files written when SMTP_URL is unset.

Each message shows as the subscriber would see it: the HTML part in a sandboxed iframe
(served by `outbox_html` with a CSP that allows no script), and the text part as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path

from flask import abort, current_app, render_template
from werkzeug.wrappers import Response

from service.web.admin import bp
from service.web.admin.access import email_frame, role_required

NAME = re.compile(r"^[0-9A-Za-z.:_-]{1,80}\.eml$")
SHOWN = 200


@dataclass(frozen=True)
class Summary:
    name: str
    subject: str
    to: str
    date: str


def _folder() -> Path | None:
    """The outbox folder when mail goes there (SMTP_URL unset), else None."""
    if current_app.config.get("SMTP_URL"):
        return None
    return Path(current_app.config["OUTBOX_DIR"])


def _file(name: str) -> Path:
    folder = _folder()
    if folder is None or not NAME.match(name):
        abort(404)
    path = folder / name
    if not path.is_file():
        abort(404, "This message is no longer in the outbox.")
    return path


def _summary(path: Path) -> Summary:
    with path.open("rb") as handle:
        headers = BytesHeaderParser(policy=policy.default).parse(handle)
    return Summary(path.name, str(headers.get("Subject", "")), str(headers.get("To", "")),
                   str(headers.get("Date", "")))


def _message(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body((subtype,))
    return body.get_content() if body is not None else ""


@bp.route("/outbox")
@role_required()
def outbox() -> str:
    """The newest messages in the dev outbox (or why there is none)."""
    folder = _folder()
    files = sorted(folder.glob("*.eml"), reverse=True)[:SHOWN] if folder and folder.is_dir() \
        else []
    return render_template("admin/outbox.html", enabled=folder is not None,
                           messages=[_summary(p) for p in files], shown=SHOWN)


@bp.route("/outbox/<name>")
@role_required()
def outbox_message(name: str) -> str:
    """One message: its headers, the HTML as rendered, and the text part."""
    message = _message(_file(name))
    headers = {key: str(message.get(key, "")) for key in (
        "From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ) if message.get(key)}
    return render_template("admin/outbox_message.html", name=name, headers=headers,
                           text=_part(message, "plain"),
                           has_html=bool(_part(message, "html")))


@bp.route("/outbox/<name>/html")
@role_required()
def outbox_html(name: str) -> Response:
    """The HTML part alone, for the sandboxed iframe."""
    return email_frame(_part(_message(_file(name)), "html"))
