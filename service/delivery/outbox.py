"""The outbox: queue a message as a row, and send rows after the commit that made them."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.extensions import db
from service.mail.compose import compose
from service.mail.transport import DeliveryError, PermanentFailure, open_transport
from service.models import (
    Delivery,
    DeliveryStatus,
    Lesson,
    LessonRevision,
    MessageKind,
    Subscriber,
    utcnow,
)


def queue_message(
    session: Session,
    subscriber: Subscriber,
    kind: MessageKind,
    now: datetime,
    *,
    lesson: Lesson | None = None,
    revision: LessonRevision | None = None,
) -> Delivery:
    """Add one message to the outbox, due now. Flushes only; the caller commits."""
    delivery = Delivery(
        subscriber_id=subscriber.id,
        kind=kind,
        lesson_id=lesson.id if lesson else None,
        revision_id=revision.id if revision else None,
        status=DeliveryStatus.QUEUED,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def send_now(app: Flask, delivery_ids: list[int]) -> None:
    """Send these committed rows at once; a failure leaves them queued for the worker."""
    if not delivery_ids:
        return
    session = db.session
    rows = session.scalars(
        select(Delivery).where(
            Delivery.id.in_(delivery_ids), Delivery.status == DeliveryStatus.QUEUED
        )
    ).all()
    with open_transport(app.config) as transport:
        for delivery in rows:
            subscriber = session.get(Subscriber, delivery.subscriber_id)
            revision = session.get(LessonRevision, delivery.revision_id) if delivery.revision_id else None
            if subscriber is None:
                continue
            message = compose(delivery, subscriber, revision, app.config, utcnow())
            delivery.attempts += 1
            try:
                transport.send(message)
            except PermanentFailure as error:
                delivery.status = DeliveryStatus.SUPPRESSED
                delivery.smtp_reply = error.reply[:500]
            except DeliveryError as error:
                delivery.smtp_reply = error.reply[:500]
            else:
                delivery.status = DeliveryStatus.SENT
                delivery.sent_at = utcnow()
                delivery.message_id = str(message["Message-ID"])
            session.commit()
