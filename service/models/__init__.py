"""All models, imported here so Alembic and `db.create_all` see every table."""

from service.models.base import Base, utcnow
from service.models.course import Enrolment, Lesson, LessonRevision
from service.models.delivery import Delivery, DeliveryStatus, MessageKind
from service.models.subscriber import Consent, Erasure, Subscriber, SubscriberStatus

__all__ = [
    "Base",
    "Consent",
    "Delivery",
    "DeliveryStatus",
    "Enrolment",
    "Erasure",
    "Lesson",
    "LessonRevision",
    "MessageKind",
    "Subscriber",
    "SubscriberStatus",
    "utcnow",
]
