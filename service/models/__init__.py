"""All models, imported here so Alembic and `db.create_all` see every table."""

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
from service.models.subscriber import Consent, Erasure, Subscriber, SubscriberStatus, Suppression

__all__ = [
    "LANE_OF",
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
    "MessageKind",
    "NewsletterIssue",
    "SendingHold",
    "Subscriber",
    "SubscriberStatus",
    "Suppression",
    "utcnow",
]
