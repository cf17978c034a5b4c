"""All models, imported here so Alembic and `db.create_all` see every table."""

from service.models.audit import AuditEntry, record
from service.models.base import Base, utcnow
from service.models.course import Enrolment, Lesson, LessonRevision
from service.models.delivery import Delivery, DeliveryStatus, MessageKind
from service.models.staff import LoginFailure, Staff, StaffRole
from service.models.subscriber import Consent, Erasure, Subscriber, SubscriberStatus
from service.models.worker import WorkerHeartbeat

__all__ = [
    "AuditEntry",
    "Base",
    "Consent",
    "Delivery",
    "DeliveryStatus",
    "Enrolment",
    "Erasure",
    "Lesson",
    "LessonRevision",
    "LoginFailure",
    "MessageKind",
    "Staff",
    "StaffRole",
    "Subscriber",
    "SubscriberStatus",
    "WorkerHeartbeat",
    "record",
    "utcnow",
]
