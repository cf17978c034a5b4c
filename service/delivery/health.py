"""Delivery health for the dashboard, and the worker's heartbeat that feeds part of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Delivery, DeliveryStatus, Enrolment, WorkerHeartbeat

WORKER = "dispatch"
ALIVE_WITHIN = timedelta(minutes=2)


def beat(session: Session, now: datetime, summary: str, name: str = WORKER) -> None:
    """Stamp the heartbeat row at the end of a pass. Flushes only; the caller commits."""
    row = session.get(WorkerHeartbeat, name)
    if row is None:
        session.add(WorkerHeartbeat(name=name, beat_at=now, summary=summary[:500]))
    else:
        row.beat_at = now
        row.summary = summary[:500]
    session.flush()


@dataclass(frozen=True)
class Health:
    due_now: int  # queued rows ready to send, plus enrolments whose next lesson is due
    retrying: int
    failed_24h: int
    last_error: str | None
    last_error_at: datetime | None
    worker_seen: datetime | None
    worker_summary: str

    def worker_alive(self, now: datetime) -> bool:
        """Whether the worker finished a pass within the last two minutes."""
        return self.worker_seen is not None and now - self.worker_seen <= ALIVE_WITHIN


def _count(session: Session, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(Delivery).where(*where)) or 0  # type: ignore[arg-type]


def health(session: Session, now: datetime) -> Health:
    """Each figure is one indexed count, so the dashboard stays quick on a big list."""
    queued = Delivery.status == DeliveryStatus.QUEUED
    due_rows = _count(session, queued, Delivery.next_attempt_at <= now)
    due_lessons = session.scalar(
        select(func.count()).select_from(Enrolment).where(Enrolment.next_due_at <= now)
    ) or 0
    retrying = _count(session, queued, Delivery.attempts > 0)
    # A failed row keeps the time of its last planned retry (hours after the last try at
    # most), which stands in for when it failed.
    failed = _count(session, Delivery.status == DeliveryStatus.FAILED,
                    Delivery.next_attempt_at >= now - timedelta(hours=24))
    last = session.execute(
        select(Delivery.smtp_reply, Delivery.next_attempt_at)
        .where(Delivery.smtp_reply.is_not(None), Delivery.status != DeliveryStatus.CANCELLED,
               Delivery.attempts > 0)
        .order_by(Delivery.next_attempt_at.desc()).limit(1)
    ).first()
    heartbeat = session.get(WorkerHeartbeat, WORKER)
    return Health(
        due_now=due_rows + due_lessons, retrying=retrying, failed_24h=failed,
        last_error=last[0] if last else None, last_error_at=last[1] if last else None,
        worker_seen=heartbeat.beat_at if heartbeat else None,
        worker_summary=heartbeat.summary if heartbeat else "",
    )
