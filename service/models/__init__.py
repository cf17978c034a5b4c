"""All models, imported here so Alembic and `db.create_all` see every table."""

from service.models.audit import AuditEntry, record
from service.models.base import Base, utcnow
from service.models.course import Enrolment, Lesson, LessonRevision
from service.models.delivery import (
    LANE_OF,
    Delivery,
    DeliveryStatus,
    Lane,
    MessageKind,
    SendingHold,
)
from service.models.newsletter import IssueStatus, NewsletterIssue, ScheduleMode
from service.models.staff import LoginFailure, Staff, StaffRole
from service.models.subscriber import Consent, Erasure, Subscriber, SubscriberStatus, Suppression
from service.models.worker import WorkerHeartbeat

__all__ = [
    "LANE_OF",
    "AuditEntry",
    "Base",
    "Consent",
    "Delivery",
    "DeliveryStatus",
    "Enrolment",
    "Erasure",
    "IssueStatus",
    "ScheduleMode",
    "Lane",
    "Lesson",
    "LessonRevision",
    "LoginFailure",
    "MessageKind",
    "NewsletterIssue",
    "SendingHold",
    "Staff",
    "StaffRole",
    "Subscriber",
    "SubscriberStatus",
    "Suppression",
    "WorkerHeartbeat",
    "record",
    "utcnow",
]
