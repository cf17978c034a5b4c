"""Helpers shared by the public views: limits, signed links and committing.

Views only write: the mail a request asks for is an outbox row committed with it, and the
worker sends it (service/jobs.py). No request opens an SMTP connection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from service import tokens
from service.config import signing_keys
from service.errors import InvalidToken
from service.extensions import db
from service.models import Subscriber
from service.subscriptions import operations
from service.subscriptions.validation import FieldError, normalise_email
from service.web import rate_limits

T = TypeVar("T")


def _signup_limit() -> str:
    return str(current_app.config["SIGNUP_RATE_LIMIT"])


def _client_ip() -> str:
    """The IP the limits count the caller under (after TRUSTED_PROXIES), or "unknown"."""
    return request.remote_addr or "unknown"


def _address_key() -> str:
    """Rate-limit key: the address being signed up (falls back to the caller's IP)."""
    try:
        data: Any = request.get_json(silent=True) if request.is_json else request.form
        raw = data.get("email") if isinstance(data, Mapping) else None
    except HTTPException:  # e.g. a body over MAX_CONTENT_LENGTH: the view answers 413
        raw = None
    if isinstance(raw, str) and raw.strip():
        # The address as it would be stored: full-width letters, ideographic dots and
        # upper case spell one mailbox, so they share one limit.
        try:
            return "address:" + normalise_email(raw)
        except FieldError:
            return "address:" + raw.strip().lower()[:320]
    return "ip:" + _client_ip()


def limited(view: Callable[..., T]) -> Callable[..., T]:
    """Every route that mails an address is limited per IP and per address, all together:
    a POST over either limit answers 429 (the per-address count waits for the IP's)."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> T:
        if request.method == "POST":
            limit = _signup_limit()
            if not (rate_limits.within(limit, "signup-ip", _client_ip())
                    and rate_limits.within(limit, "signup-address", _address_key())):
                abort(429)
        return view(*args, **kwargs)

    return checked


REVOKED = ("This link was switched off when you logged out of all links. Please use the "
           "link in a newer email from us.")


def link_from(token: str, purpose: str) -> tuple[Subscriber, tokens.Link]:
    """The subscriber a signed, current link names, and the link; InvalidToken otherwise."""
    link = tokens.read_link(signing_keys(current_app.config), purpose, token)
    subscriber = operations.find_by_public_id(db.session(), link.public_id)
    if link.epoch != subscriber.link_epoch:
        raise InvalidToken(REVOKED)
    return subscriber, link


def subscriber_from(token: str, purpose: str) -> Subscriber:
    """The subscriber a signed link names; InvalidToken/ExpiredToken otherwise."""
    return link_from(token, purpose)[0]


def personal_token(subscriber: Subscriber, purpose: str) -> str:
    """A fresh link token for this subscriber, signed with the current key and epoch."""
    return tokens.make_token(
        current_app.config["SECRET_KEY"], purpose, subscriber.public_id, subscriber.link_epoch
    )


def commit_with_retry(work: Callable[[], T]) -> T:
    """Run `work` and commit; on a unique clash (two signups at once) run it once more."""
    try:
        result = work()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        result = work()
        db.session.commit()
    return result
