"""Helpers shared by the public views: signed links and committing.

Views only write: the mail a request asks for is an outbox row committed with it, and the
worker sends it (service/jobs.py). No request opens an SMTP connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy.exc import IntegrityError

from service import tokens
from service.extensions import db
from service.models import Subscriber
from service.subscriptions import operations

T = TypeVar("T")


def subscriber_from(token: str, purpose: str) -> Subscriber:
    """The subscriber a signed link names; InvalidToken/ExpiredToken otherwise."""
    public_id = tokens.read_token(current_app.config["SECRET_KEY"], purpose, token)
    return operations.find_by_public_id(db.session(), public_id)


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
