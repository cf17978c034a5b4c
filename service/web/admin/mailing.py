"""The one place the admin queues and sends mail; everything else calls these two functions.

Queueing writes an outbox row in the request's transaction; sending happens only after the
commit, through the same path the public pages use (the worker sends whatever is left).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.delivery.outbox import queue_message
from service.errors import InvalidInput
from service.models import MessageKind, Subscriber, SubscriberStatus
from service.web.common import send_after_commit


def queue_confirmation(session: Session, subscriber: Subscriber, now: datetime) -> list[int]:
    """Queue the confirmation email again for a subscriber who has not confirmed yet."""
    if subscriber.status != SubscriberStatus.PENDING:
        raise InvalidInput("Only someone who has not confirmed yet can be sent the confirmation.")
    return [queue_message(session, subscriber, MessageKind.CONFIRMATION, now).id]


def send_committed(delivery_ids: list[int]) -> None:
    """After the commit: hand the queued rows to the sender (or leave them to the worker)."""
    send_after_commit(delivery_ids)
