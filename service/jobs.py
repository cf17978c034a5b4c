"""The worker: one APScheduler process running the dispatch pass every minute."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from service.delivery.dispatch import run_pass
from service.models import utcnow

log = logging.getLogger("service.worker")


def dispatch_job(app: Flask, stop: threading.Event) -> None:
    """One pass at the real now, one log line."""
    if stop.is_set():
        return
    try:
        counts = run_pass(app, utcnow(), stop)
    except Exception:  # a bad pass must not kill the worker: the next minute tries again
        log.exception("dispatch pass failed")
        return
    log.info("dispatch %s", counts.line())


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
