"""The worker: one APScheduler process that sends everything the outbox holds.

Two jobs, each a few lines: every couple of seconds the transactional lane (so a
confirmation reaches the mail server within seconds of the click), and every minute the
full pass (queue due lessons, then every lane in order). Each has max_instances=1; the
two may overlap, and the outbox's claims keep them from taking the same row.

SIGTERM (or SIGINT) stops it within a few seconds, whatever the mail server does: the
passes stop between messages, and a send still waiting on the server after STOP_GRACE
seconds is cut off (service.delivery.job.Stop). What was cut before the message was handed
over goes back to the queue; what may have reached the server stays claimed, as after a
crash, until its lease gives it back (service.delivery.store.reclaim_abandoned).
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from service.delivery.dispatch import run_pass, run_transactional_pass
from service.delivery.health import beat
from service.delivery.job import Stop
from service.extensions import db
from service.models import utcnow

log = logging.getLogger("service.worker")

TRANSACTIONAL_POLL = 2  # seconds between looks at the transactional lane
# After a stop: how long a send in flight may still take, then how long cutting it may take.
STOP_GRACE = 1.0
STOP_LIMIT = 5.0


def dispatch_job(app: Flask, stop: Stop) -> None:
    """One full pass at the real now, one log line."""
    if stop.is_set():
        return
    try:
        counts = run_pass(app, utcnow(), stop)
    except Exception as error:  # a bad pass must not kill the worker: the next minute tries
        log.exception("dispatch pass failed")
        heartbeat(app, f"pass failed: {error}")
        return
    log.log(logging.WARNING if counts.held else logging.INFO, "dispatch %s", counts.line())
    heartbeat(app, counts.line())


def heartbeat(app: Flask, summary: str) -> None:
    """Tell the admin dashboard the worker is alive (a failure here only gets logged)."""
    try:
        with app.app_context():
            beat(db.session(), utcnow(), summary)
            db.session.commit()
    except Exception:  # the heartbeat must never stop sending
        log.exception("could not record the worker heartbeat")


def transactional_job(app: Flask, stop: Stop) -> None:
    """Send queued confirmations and notes; quiet unless it sent or failed something."""
    if stop.is_set():
        return
    try:
        counts = run_transactional_pass(app, utcnow(), stop)
    except Exception:
        log.exception("transactional pass failed")
        return
    if counts.sent or counts.retried or counts.failed or counts.suppressed:
        log.info("transactional %s", counts.line())


def build_scheduler(
    app: Flask, stop: Stop, interval_seconds: int = 60,
    poll_seconds: float = TRANSACTIONAL_POLL,
) -> BlockingScheduler:
    """The scheduler and its two jobs; the state of every message is in our tables."""
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        dispatch_job, "interval", seconds=interval_seconds, args=(app, stop), id="dispatch",
        coalesce=True, max_instances=1, misfire_grace_time=interval_seconds,
        next_run_time=utcnow(),
    )
    scheduler.add_job(
        transactional_job, "interval", seconds=poll_seconds, args=(app, stop),
        id="transactional", coalesce=True, max_instances=1, misfire_grace_time=60,
        next_run_time=utcnow(),
    )
    return scheduler


def run_worker(app: Flask, interval_seconds: int = 60) -> None:
    """Run until SIGTERM or SIGINT; then finish the message in flight and exit (a send the
    mail server leaves unanswered is cut off after STOP_GRACE seconds)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The transactional job runs every 2 s: APScheduler's own line per run would drown ours.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    stop = Stop()
    scheduler = build_scheduler(app, stop, interval_seconds)

    def cut_off() -> None:
        if not stop.cut_off(STOP_GRACE, STOP_LIMIT):
            log.warning("a connection to the mail server did not close in %s s", STOP_LIMIT)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():  # a second signal while stopping: the first one is being handled
            return
        log.info("signal %s: stopping after the message in flight", signum)
        stop.set()  # the passes check this between messages
        # A send still waiting on a silent mail server is cut off, so the wait below is short.
        threading.Thread(target=cut_off, name="cut-off", daemon=True).start()
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("worker started: transactional mail every %s s, full pass every %s s",
             TRANSACTIONAL_POLL, interval_seconds)
    scheduler.start()
    log.info("worker stopped")
