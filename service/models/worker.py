"""The worker's heartbeat: one row per process name, stamped at the end of every pass.

The dashboard reads it to say whether the worker has run in the last two minutes; an idle
pass (nothing due) stamps it too, so silence means the worker is down, not just quiet.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, utcnow


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)  # "dispatch"
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    summary: Mapped[str] = mapped_column(String(500), default="")  # the pass's log line
