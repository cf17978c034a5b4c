"""The worker: one APScheduler process running the dispatch pass every minute."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from service.delivery.dispatch import run_pass
from service.delivery.health import beat
from service.extensions import db
from service.models import utcnow

log = logging.getLogger("service.worker")


def dispatch_job(app: Flask, stop: threading.Event) -> None:
    """One pass at the real now, one log line."""
    if stop.is_set():
        return
    try:
        counts = run_pass(app, utcnow(), stop)
    except Exception as error:  # a bad pass must not kill the worker: the next minute tries
        log.exception("dispatch pass failed")
        heartbeat(app, f"pass failed: {error}")
        return
    log.info("dispatch %s", counts.line())
    heartbeat(app, counts.line())


def heartbeat(app: Flask, summary: str) -> None:
    """Tell the admin dashboard the worker is alive (a failure here only gets logged)."""
    try:
        with app.app_context():
            beat(db.session, utcnow(), summary)
            db.session.commit()
    except Exception:  # noqa: BLE001 - the heartbeat must never stop sending
        log.exception("could not record the worker heartbeat")


def build_scheduler(
    app: Flask, stop: threading.Event, interval_seconds: int = 60
) -> BlockingScheduler:
    """The scheduler and its one job; the state of every message is in our tables, not here."""
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        dispatch_job, "interval", seconds=interval_seconds, args=(app, stop), id="dispatch",
        coalesce=True, max_instances=1, misfire_grace_time=interval_seconds,
        next_run_time=utcnow(),
    )
    return scheduler


def run_worker(app: Flask, interval_seconds: int = 60) -> None:
    """Run until SIGTERM or SIGINT; then finish the message in flight and exit."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    scheduler = build_scheduler(app, stop, interval_seconds)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the message in flight", signum)
        stop.set()  # the pass checks this between messages
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("worker started: dispatch every %s s", interval_seconds)
    scheduler.start()
    log.info("worker stopped")
