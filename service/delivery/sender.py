"""Deliver the outbox: claim a batch, build and send each row, record each at once.

One SMTP connection per sending thread, reused for every message it sends; SMTP_CONNECTIONS
threads run side by side, each with its own connection and database session, plus one
database connection that only records "sent" (store.SentMarks: one statement per message,
which on PostgreSQL goes during the next message's envelope, answered before its DATA).
What a refusal means is decided by service.mail.bounces, not here.
"""

from __future__ import annotations

import logging
import queue
import threading

from sqlalchemy.orm import Session

from service.delivery import store
from service.delivery.job import Counts, Job, RateLimit
from service.delivery.preparing import WAITING, Prepared, prepare
from service.mail.bounces import Outcome, classify
from service.mail.transport import (
    Interrupted,
    SendFailure,
    Transport,
    Waiting,
    Withdrawn,
    open_transport,
)
from service.models import Delivery, DeliveryStatus

log = logging.getLogger("service.worker")

POLICY_HELP = (
    "sending stopped: the mail server refused our mail {count} times in a row for policy "
    "reasons; last answer: {reply!r}. Nobody was suppressed. Check the sending domain's SPF, "
    "DKIM and DMARC records (MAIL_FROM's domain must be the one your provider signs for) "
    "and the provider's account status; sending tries again after {minutes} minutes."
)


def _refused(job: Job, session: Session, item: Prepared, failure: SendFailure) -> bool:
    """Record a refusal as bounces reads it; False when the pass must stop."""
    delivery = item.delivery
    verdict = classify(failure.stage, failure.code, failure.reply)
    if verdict.outcome == Outcome.SUPPRESS:
        if delivery.subscriber_id is not None:
            job.suppressed.add(delivery.subscriber_id)
        store.record_suppressed(session, job.settings.secret_key, delivery, failure.code,
                                failure.reply, job.clock())
        job.counts.add("suppressed")
    elif verdict.outcome == Outcome.FAIL:
        store.record_failed(session, delivery, failure.text)
        job.counts.add("failed")
    else:
        retrying = store.record_retry(session, delivery, failure.text, job.clock())
        job.counts.add("retried" if retrying else "failed")
    if verdict.policy and job.policy_refused():
        store.hold(session, failure.code, failure.reply, job.clock())
        job.counts.held = failure.text
        log.error(POLICY_HELP.format(count=job.policy_streak, reply=failure.text,
                                     minutes=int(store.HOLD.total_seconds() // 60)))
        return False
    return not verdict.halt


def _cut_short(session: Session, delivery: Delivery, cut: Interrupted) -> None:
    """The worker is stopping and cut this send short (the mail server did not answer)."""
    if not cut.may_have_sent:  # nothing reached the server: back in the queue at once
        store.release(session, [delivery.id])
        return
    # The server may have accepted it: leave it claimed, as a killed pass would, and the
    # lease gives it back to the queue (store.reclaim_abandoned): at most it goes twice.
    log.warning("stopped while handing message %s to the mail server: it stays 'sending' "
                "until its lease ends, then goes again", delivery.id)


def _send_prepared(job: Job, session: Session, marks: store.SentMarks, transport: Transport,
                   rate: RateLimit, item: Prepared) -> bool:
    """Send one prepared row and record the outcome; False when the pass must stop."""
    delivery = item.delivery
    if delivery.subscriber_id in job.suppressed:
        item.closed = (DeliveryStatus.SUPPRESSED, "address refused earlier in this pass")
    if item.closed is not None:
        store.record_skipped(session, delivery, *item.closed)
        job.counts.add("failed" if item.closed[0] == DeliveryStatus.FAILED else "cancelled")
        return True
    assert item.message is not None
    rate.wait()
    try:
        # Asked once the envelope is accepted: the previous mark is read back then, and a
        # newsletter stopped after this row was claimed does not go (nothing after a stop).
        transport.send(item.message, before_data=lambda: marks.may_send(delivery))
    except Withdrawn:
        store.record_skipped(session, delivery, DeliveryStatus.CANCELLED, "issue stopped")
        job.counts.add("cancelled")
        return True
    except Interrupted as cut:
        _cut_short(session, delivery, cut)
        return False
    except SendFailure as failure:
        return _refused(job, session, item, failure)
    marks.record_sent(delivery, item.revision_id, item.message.message_id, job.clock())
    job.accepted()
    job.counts.add("sent")
    return True


class _Overlap(Waiting):
    """What the sending thread does while the mail server works: send the last "sent"
    mark, and let the preparing thread compose (see preparing._turn)."""

    def __init__(self, marks: store.SentMarks, idle: threading.Event) -> None:
        self.marks, self.idle = marks, idle

    def on_server(self) -> None:
        self.marks.flush()

    def reading(self, busy: bool) -> None:
        if busy:
            self.idle.set()
        else:
            self.idle.clear()


def _next(ready: queue.Queue[list[Prepared] | None], marks: store.SentMarks,
          idle: threading.Event) -> list[Prepared] | None:
    """The next hand-over; while waiting for one, the last mark goes and composing runs."""
    try:
        return ready.get_nowait()
    except queue.Empty:
        pass
    marks.flush()  # never left waiting in memory for a message that may be long in coming
    was_idle = idle.is_set()  # always, with a transport that tells no waits
    idle.set()
    try:
        return ready.get()
    finally:
        if not was_idle:
            idle.clear()


def _sending_thread(job: Job, rate: RateLimit) -> None:
    """Send what the preparing thread hands over until it is done, the pass halts, or stop.

    Building (CPU) runs one thread ahead of sending (mostly waiting on the SMTP server and
    the database), so the two overlap, and it builds while this thread waits (_Overlap);
    messages come over a few at a time. Rows are still
    marked sent one by one, right after each send, and each mark is in before the next
    message's content goes: a crash leaves at most the one message in flight unrecorded.
    """
    ready: queue.Queue[list[Prepared] | None] = queue.Queue(maxsize=WAITING)
    halt = threading.Event()  # this connection stops: SMTP unusable, error, or job.stop
    idle = threading.Event()  # this thread waits: the preparer may compose (preparing._turn)
    failures: list[BaseException] = []

    def run_preparer() -> None:
        try:
            prepare(job, ready, halt, idle)
        except BaseException as error:  # re-raised below, in the thread that owns the pass
            failures.append(error)

    preparer = threading.Thread(target=run_preparer, name="prepare")
    preparer.start()
    finished = False  # whether the preparer's closing None has been read
    settings = job.settings
    try:
        with Session(job.engine, expire_on_commit=False) as session, \
                store.SentMarks(job.engine) as marks, \
                job.stop.watching(open_transport(settings.smtp_url, settings.outbox_dir,
                                                 settings.smtp_timeout)) as transport:
            if transport.tells_waiting:
                transport.waiting = _Overlap(marks, idle)
            else:  # nothing tells when this transport waits: compose whenever ready
                idle.set()
            while (items := _next(ready, marks, idle)) is not None:
                for index, item in enumerate(items):
                    if job.stopping() or halt.is_set():
                        store.release(session, [i.delivery.id for i in items[index:]])
                        break
                    if not _send_prepared(job, session, marks, transport, rate, item):
                        halt.set()  # leave the rest for a later pass, not spend attempts
                        job.halted.set()
            finished = True
    finally:
        halt.set()
        idle.set()  # a preparer waiting for its turn goes on to see the halt
        if not finished:
            _drain(job, ready)
        preparer.join()
    if failures:
        raise failures[0]


def _drain(job: Job, ready: queue.Queue[list[Prepared] | None]) -> None:
    """Give back whatever was prepared but not sent, until the preparer says it is done."""
    with Session(job.engine) as session:
        while (items := ready.get()) is not None:
            store.release(session, [item.delivery.id for item in items])


def deliver(job: Job) -> Counts:
    """Deliver everything due at `job.now` in the job's lanes, unless sending is on hold."""
    with Session(job.engine) as session:
        store.reclaim_abandoned(session, job.clock())
        held = store.current_hold(session, job.clock())
        session.commit()
        if held is not None:
            job.counts.held = held.reply
            return job.counts
    rate = RateLimit(job.settings.send_rate)
    connections = job.settings.smtp_connections
    if connections == 1:
        _sending_thread(job, rate)
    else:
        _parallel(job, rate, connections)
    if job.counts.sent and not job.counts.held:
        with Session(job.engine) as session:
            store.end_hold(session)
    return job.counts


def _parallel(job: Job, rate: RateLimit, connections: int) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _sending_thread(job, rate)
        except BaseException as error:  # surfaced below, after the other threads finish
            errors.append(error)
            job.halted.set()

    threads = [threading.Thread(target=run, name=f"send-{n}") for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
