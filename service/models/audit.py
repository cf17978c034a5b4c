"""The audit log: who did what to which thing, when, with before/after for content.

Every staff action that changes something calls `record(...)` in the same transaction as
the change, so the log and the data cannot disagree. Owners read it at /admin/audit.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.models.base import Base, utcnow

if TYPE_CHECKING:
    from service.models.staff import Staff


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), index=True
    )
    # A copy of who it was, so the entry still reads right after the staff row changes.
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60), index=True)  # e.g. "subscriber.pause"
    target: Mapped[str] = mapped_column(String(200))  # e.g. "subscriber:42", "lesson:causes"
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)


def record(
    session: Session,
    staff: Staff | None,
    action: str,
    target: str,
    before: Any | None = None,
    after: Any | None = None,
    *,
    now: datetime | None = None,
) -> AuditEntry:
    """Add one audit entry (staff None: the command line). Flushes only; the caller commits."""
    entry = AuditEntry(
        at=now or utcnow(),
        staff_id=staff.id if staff is not None else None,
        actor=staff.email if staff is not None else "command line",
        action=action,
        target=target,
        before=before,
        after=after,
    )
    session.add(entry)
    session.flush()
    return entry
