"""The one place the admin queues mail to patients.

Queueing writes an outbox row in the request's transaction; the worker sends it after the
commit (no admin request talks to SMTP).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.delivery.queueing import queue_transactional
from service.errors import InvalidInput
from service.models import MessageKind, Subscriber, SubscriberStatus


def queue_confirmation(session: Session, subscriber: Subscriber, now: datetime) -> None:
    """Queue the confirmation email again for a subscriber who has not confirmed yet.

    Pressed twice within the same minute, the button queues one email.
    """
    if subscriber.status != SubscriberStatus.PENDING:
        raise InvalidInput("Only someone who has not confirmed yet can be sent the confirmation.")
    key = f"staff_confirmation:{subscriber.public_id}:{now:%Y-%m-%dT%H:%M}"
    queue_transactional(session, subscriber, MessageKind.CONFIRMATION, now, key=key)
