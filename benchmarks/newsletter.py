"""(e) One newsletter issue to N subscribers through the worker, as staff send it.

N subscribers who finished the course, with the newsletter on; one issue created and sent
now through service.newsletter (one set-based fan-out); then, each in its own process,
gunicorn serving the app, one `flask --app wsgi worker` (SMTP_CONNECTIONS=1), and an
aiosmtpd sink on loopback. Reported: the worker's messages per second at the sink against
a bare smtplib loop sending the same message bytes over one connection to the same sink.
The two take turns all through the send: every SLICE seconds the worker is paused
(SIGSTOP) for one bare burst of BURST messages, then resumed. Each rate counts only its own
turns, so a machine whose speed drifts during a long send (a shared host does) moves both
alike. Also: the CPU time per message of the worker and of the bare loop, and what
gunicorn used meanwhile; the worker's peak RSS (VmHWM); and the latency of confirmations
signed up while the issue is half sent (POST answered -> confirmation at the sink; the
worker is not paused until the last has arrived).
"""

from __future__ import annotations

import argparse
import os
import signal
import smtplib
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import Popen

from flask import Flask
from sqlalchemy import select, text

from benchmarks.common import databases, environment, fresh_app, table
from benchmarks.idle import grow
from benchmarks.latency import _arrivals, _start, _stop, _wait_healthy, sign_up
from benchmarks.sink import Sink, free_port
from service.delivery.builders import Batch, Env, build
from service.extensions import db
from service.models import Delivery, NewsletterIssue, Subscriber, utcnow
from service.newsletter import issues, schedule

BODY = """Our Saturday hours are longer this winter: we now open at 8.

## A stretch for cold mornings

Lie on your back and hug one knee to your chest for 20 seconds, then the other. Gentle
movement helps many people with sciatica more than rest does.

Questions? Call us at {CLINIC_PHONE}.
"""


def send_issue(app: Flask, count: int) -> tuple[int, bytes, str]:
    """`count` subscribers, an issue sent now; (rows queued, one message's bytes, sender)."""
    grow(app, 1, count + 1, newsletter=True)
    with app.app_context():
        db.session.execute(text("UPDATE enrolment SET completed_at = started_at, "
                                "next_due_at = NULL"))  # finished the course: in the audience
        if db.engine.dialect.name == "postgresql":  # grow() wrote the ids itself
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('subscriber', 'id'), "
                                    "(SELECT max(id) FROM subscriber))"))
        now = utcnow()
        issue = issues.create_issue(db.session(), "Winter news from the clinic",
                                    "Longer Saturdays", BODY, now, "bench")
        queued = issues.schedule_issue(db.session(), issue, schedule.send_now(now), now)
        db.session.commit()
        row = db.session.scalars(select(Delivery).limit(1)).one()
        person = db.session.get(Subscriber, row.subscriber_id)
        assert person is not None
        stored = db.session.get(NewsletterIssue, issue.id)
        assert stored is not None
        batch = Batch(people={person.id: person}, issues={issue.id: stored})
        message = build(row, batch, Env.from_config(app.config, now)).message
        db.session.rollback()
    return queued, message.raw, message.sender


SLICE = 4.0  # seconds the worker sends between two bare bursts
BURST = 1000  # messages in one bare burst


def bare_loop(port: int, data: bytes, sender: str, count: int,
              first: int = 0) -> tuple[float, float]:
    """smtplib alone, one connection, the same bytes each time: msg/s and CPU ms per message."""
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        start, cpu = time.perf_counter(), time.process_time()
        for n in range(first, first + count):
            smtp.sendmail(sender, [f"bare{n}@example.com"], data)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return count / elapsed, cpu * 1000 / count


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _family_cpu(pid: int) -> float:
    """CPU seconds of a process and its children still running (gunicorn and its workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return cpu_seconds(pid) + sum(cpu_seconds(int(child)) for child in children)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Turns:
    """The worker and the bare loop taking turns at the sink (see the module's docstring)."""

    def __init__(self, worker: Popen[bytes], port: int, data: bytes, sender: str) -> None:
        self.worker, self.port, self.data, self.sender = worker, port, data, sender
        self.pauses: list[tuple[float, float]] = []  # (paused, resumed), epoch seconds
        self.bursts: list[tuple[float, float]] = []  # (msg/s, CPU ms per message)

    @property
    def bare_sent(self) -> int:
        return BURST * len(self.bursts)

    def burst(self) -> None:
        """Pause the worker, let the message it was writing land, run one burst, resume."""
        os.kill(self.worker.pid, signal.SIGSTOP)
        paused = time.time()
        time.sleep(0.05)
        self.bursts.append(bare_loop(self.port, self.data, self.sender, BURST, self.bare_sent))
        os.kill(self.worker.pid, signal.SIGCONT)
        self.pauses.append((paused, time.time()))

    def until(self, done: Callable[[], bool], deadline: float) -> None:
        """Let the worker send until `done()`, with a bare burst every SLICE seconds."""
        turn = time.monotonic() + SLICE
        while not done() and time.monotonic() < deadline:
            if time.monotonic() >= turn:
                self.burst()
                turn = time.monotonic() + SLICE
            time.sleep(0.05)

    def worker_rate(self, arrivals: list[float]) -> float:
        """Messages per second at the sink while the worker had its turn."""
        turns, start = [], arrivals[0]
        for paused, resumed in self.pauses:
            turns.append((start, paused))
            start = resumed
        turns.append((start, arrivals[-1]))
        during = sum(1 for t in arrivals if any(a <= t <= b for a, b in turns))
        return during / sum(b - a for a, b in turns if b > a)

    def bare_rate(self) -> tuple[float, float, float, float]:
        """(msg/s over all bursts, slowest burst, fastest burst, CPU ms per message)."""
        rates = [rate for rate, _ in self.bursts]
        overall = len(rates) / sum(1 / rate for rate in rates)
        return overall, min(rates), max(rates), statistics.mean(c for _, c in self.bursts)


def measure(name: str, url: str | None, count: int, signups: int,
            gap: float) -> list[object]:
    with tempfile.TemporaryDirectory() as folder, \
            Sink(log=Path(folder) / "arrivals.tsv") as sink, fresh_app(url) as app:
        log = Path(folder) / "arrivals.tsv"
        queued, data, sender = send_issue(app, count)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = environment(app.config["SQLALCHEMY_DATABASE_URI"], folder, SMTP_URL=sink.url,
                          BASE_URL=base, SMTP_CONNECTIONS=1)
        web = _start(["gunicorn", "-b", f"127.0.0.1:{port}", "-w", "2", "wsgi:app"], env,
                     Path(folder) / "web.log")
        worker = _start(["flask", "--app", "wsgi", "worker"], env, Path(folder) / "worker.log")
        turns = Turns(worker, sink.port, data, sender)
        answered: dict[str, float] = {}

        def worker_sent() -> int:  # issue messages and confirmations at the sink
            return sink.count - turns.bare_sent

        try:
            _wait_healthy(base)
            deadline = time.monotonic() + 3600
            while worker_sent() < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            worker_cpu, web_cpu = cpu_seconds(worker.pid), _family_cpu(web.pid)
            turns.until(lambda: worker_sent() >= count // 2, deadline)
            for n in range(signups):  # in the middle of the send, the worker never paused
                email = f"signup{n}@example.com"
                answered[email] = sign_up(base, email)
                time.sleep(gap)
            while not set(answered) <= set(_arrivals(log)) and time.monotonic() < deadline:
                time.sleep(0.2)  # every confirmation in before the next pause
            turns.until(lambda: worker_sent() >= count + signups, deadline)
            worker_cpu = cpu_seconds(worker.pid) - worker_cpu
            web_cpu = _family_cpu(web.pid) - web_cpu
            rss = peak_rss_mb(worker.pid)
            load = os.getloadavg()[0]
            if not turns.bursts:  # a send shorter than one turn: one burst after it
                turns.burst()
        finally:
            os.kill(worker.pid, signal.SIGCONT)
            _stop(worker)
            _stop(web)
            if os.environ.get("BENCH_SHOW_LOGS"):
                print((Path(folder) / "web.log").read_text()[-3000:])
        arrived = _arrivals(log)
    issue_times = sorted(t for r, t in arrived.items() if r.startswith("p"))
    assert queued == count and len(issue_times) == count, (queued, len(issue_times))
    ours = turns.worker_rate(issue_times)
    bare, slowest, fastest, bare_cpu = turns.bare_rate()
    waits = sorted(arrived[e] - t for e, t in answered.items())
    p99 = statistics.quantiles(waits, n=100, method="inclusive")[98] if len(waits) > 1 \
        else waits[0]
    return [name, f"{count:,}", f"{len(data) / 1024:.1f}", f"{ours:.0f}",
            f"{bare:.0f} ({slowest:.0f} to {fastest:.0f}, {len(turns.bursts)})",
            f"{ours / bare:.2f}",
            f"{worker_cpu * 1000 / count:.2f}", f"{bare_cpu:.2f}", f"{web_cpu:.1f}",
            f"{rss:.0f}", f"{statistics.median(waits):.2f}", f"{p99:.2f}", f"{load:.1f}"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--signups", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between signups")
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    found = [d for d in databases() if d[1] or not args.postgres_only]
    rows = [measure(name, url, args.count, args.signups, args.gap) for name, url in found]
    print("(e) one issue through the worker (one SMTP connection) vs bare smtplib bursts, "
          "taking turns at the same sink; confirmations signed up half-way")
    print(table(["database", "subscribers", "KB/msg", "worker msg/s",
                 "bare msg/s (bursts: slowest to fastest, how many)", "ratio",
                 "worker CPU ms/msg", "bare CPU ms/msg",
                 "gunicorn CPU s", "worker peak RSS MB", "confirm p50 s", "confirm p99 s",
                 "load"], rows))
    print("CPU ms/msg: the sending process's own CPU time per message (the worker's from its "
          "first message to its last); gunicorn CPU s: web server and workers meanwhile; "
          "load: the 1-minute load average when the last message arrived.")


if __name__ == "__main__":
    main()
