"""Helpers shared by the public views: signed links, committing, and sending after commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy.exc import IntegrityError

from service import tokens
from service.delivery.outbox import send_now
from service.extensions import current_app_object, db
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


def send_after_commit(delivery_ids: list[int]) -> None:
    """Send what the committed request queued; if that fails, the worker sends it later."""
    if not delivery_ids:
        return
    try:
        send_now(current_app_object(), delivery_ids)
    except Exception:  # noqa: BLE001 - the rows are committed and queued: never fail the page
        db.session.rollback()
        current_app.logger.exception("sending %s right away failed; left queued", delivery_ids)
