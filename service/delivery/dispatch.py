"""A dispatch pass: queue every lesson and newsletter issue due at an instant, then deliver
the outbox by lane (newsletters last, so never ahead of a confirmation)."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from service.config import DeliverySettings
from service.delivery.due_lessons import queue_due_lessons
from service.delivery.job import Counts, Job, Stop
from service.delivery.sender import deliver
from service.extensions import db
from service.models import Lane
from service.newsletter.fanout import queue_due_issues


def _job(app: Flask, now: datetime, lanes: frozenset[Lane], stop: Stop | None) -> Job:
    with app.app_context():
        engine = db.engine
    return Job(engine=engine, config=app.config, settings=DeliverySettings.from_config(app.config),
               now=now, lanes=lanes, stop=stop or Stop())


def run_pass(app: Flask, now: datetime, stop: Stop | None = None) -> Counts:
    """Queue what is due at `now` and deliver every lane; safe to run twice or at once."""
    job = _job(app, now, frozenset(Lane), stop)
    with Session(job.engine) as session:
        job.counts.queued = queue_due_lessons(session, now, stop=job.stop)
        job.counts.queued += queue_due_issues(session, now, app.config["CLINIC_TIMEZONE"])
        session.commit()
    counts = deliver(job)
    with Session(job.engine) as session:
        queue_due_issues(session, job.clock(), app.config["CLINIC_TIMEZONE"])  # mark sent
        session.commit()
    return counts


def run_transactional_pass(app: Flask, now: datetime,
                           stop: Stop | None = None) -> Counts:
    """Deliver only the transactional lane (confirmations, notes, test sends): the fast poll."""
    return deliver(_job(app, now, frozenset({Lane.TRANSACTIONAL}), stop))
