""""Send me a test": one outbox row addressed to a staff member, sent by the worker.

The one place the admin queues a test send of a lesson. The row names the exact revision
(a draft too); the message is composed like the lesson a subscriber gets, with links that
lead nowhere and "[Test]" before the subject (service/delivery/builders.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.delivery.queueing import queue_test
from service.models import LessonRevision


def queue_test_send(session: Session, to_address: str, revision: LessonRevision,
                    now: datetime) -> None:
    """Queue one test of `revision` to `to_address`, due now. Flushes only."""
    queue_test(session, to_address, now, revision_id=revision.id)
