""""Send me a test": one outbox row addressed to a staff member, sent by the worker.

The one place the admin queues a test send, so it follows the outbox's API wherever that
goes. The row names the exact revision (a draft too); the message is composed like the
lesson a subscriber gets, with a sample name and "[Test]" before the subject.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.models import Delivery, DeliveryStatus, Lesson, LessonRevision, MessageKind


def queue_test_send(session: Session, to_address: str, lesson: Lesson,
                    revision: LessonRevision, now: datetime) -> Delivery:
    """Queue one test of `revision` to `to_address`, due now. Flushes only."""
    delivery = Delivery(
        subscriber_id=None, to_address=to_address, kind=MessageKind.TEST,
        lesson_id=lesson.id, revision_id=revision.id, status=DeliveryStatus.QUEUED,
        next_attempt_at=now, created_at=now, round=1, attempts=0,
    )
    session.add(delivery)
    session.flush()
    return delivery
