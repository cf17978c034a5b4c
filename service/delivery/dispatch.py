"""One dispatch pass: queue every lesson due at an instant, then deliver the outbox."""

from __future__ import annotations

import threading
from datetime import datetime

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.delivery.due_lessons import queue_due_lessons
from service.delivery.sender import Counts, Job, deliver
from service.extensions import db


def _engine(app: Flask) -> Engine:
    with app.app_context():
        return db.engine


def run_pass(app: Flask, now: datetime, stop: threading.Event | None = None) -> Counts:
    """Queue what is due at `now` and deliver everything due; safe to run twice or at once."""
    job = Job(engine=_engine(app), config=app.config, now=now, stop=stop or threading.Event())
    with Session(job.engine) as session:
        job.counts.queued = queue_due_lessons(session, now, stop=job.stop)
    return deliver(job)


def dispatch_subscriber(app: Flask, subscriber_id: int, now: datetime) -> Counts:
    """Queue and send whatever is due for one subscriber (lesson 1 right after confirming)."""
    job = Job(engine=_engine(app), config=app.config, now=now, subscriber_id=subscriber_id)
    with Session(job.engine) as session:
        job.counts.queued = queue_due_lessons(session, now, subscriber_id=subscriber_id)
    return deliver(job)
