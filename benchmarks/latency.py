"""(b) Confirmation latency under a backlog: a newsletter issue fanned out to N subscribers
(N rows queued), the worker sending it, then S signups: from each signup POST's answer to
its confirmation email reaching the SMTP sink.

Everything runs as in production, each in its own process: gunicorn serving the app, one
`flask --app wsgi worker`, an aiosmtpd sink on loopback. The baseline is the same signups
in the same run with an empty outbox.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from flask import Flask

from benchmarks.common import add_course, databases, environment, fresh_app, table
from benchmarks.idle import grow
from benchmarks.sink import Sink, free_port
from service.delivery.queueing import queue_newsletter
from service.extensions import db
from service.models import NewsletterIssue, utcnow

ROOT = Path(__file__).resolve().parents[1]


def queue_backlog(app: Flask, count: int) -> None:
    """`count` subscribers with the newsletter on, and one issue queued for all of them."""
    grow(app, 1, count + 1, newsletter=True)
    with app.app_context():
        issue = NewsletterIssue(subject="Spring news from the clinic",
                                body="Gentle movement helps many people with sciatica.")
        db.session.add(issue)
        db.session.flush()
        queue_newsletter(db.session(), issue, utcnow())
        db.session.commit()


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", *args], env=env, cwd=ROOT,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _wait_healthy(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the web server did not come up")


def sign_up(base: str, email: str) -> float:
    """POST one signup as the embedded form's JavaScript does; the epoch time of the answer."""
    body = json.dumps({"email": email, "first_name": "Sam", "consent": True}).encode()
    request = urllib.request.Request(f"{base}/subscribe", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()
        assert answer.status == 200, answer.status
    return time.time()


def _arrivals(path: Path) -> dict[str, float]:
    found: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            stamp, _, recipient = line.partition("\t")
            found.setdefault(recipient, float(stamp))
    return found


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def measure(url: str | None, backlog: int, signups: int, gap: float,
            warmup: int) -> dict[str, float]:
    """Latencies (s) of `signups` confirmations with `backlog` newsletter rows queued."""
    with tempfile.TemporaryDirectory() as folder, \
            Sink(log=Path(folder) / "arrivals.tsv") as sink, fresh_app(url) as app:
        add_course(app)
        if backlog:
            queue_backlog(app, backlog)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = environment(app.config["SQLALCHEMY_DATABASE_URI"], folder, SMTP_URL=sink.url,
                          BASE_URL=base)
        web = _start(["gunicorn", "-b", f"127.0.0.1:{port}", "-w", "2", "wsgi:app"], env,
                     Path(folder) / "web.log")
        worker = _start(["flask", "--app", "wsgi", "worker"], env, Path(folder) / "worker.log")
        try:
            _wait_healthy(base)
            deadline = time.monotonic() + 60
            while backlog and sink.count < warmup and time.monotonic() < deadline:
                time.sleep(0.2)  # the worker is busy with the newsletter before anyone signs up
            before = sink.count
            answered = {}
            for n in range(signups):
                email = f"signup{n}@example.com"
                try:
                    answered[email] = sign_up(base, email)
                except OSError as error:
                    tail = (Path(folder) / "web.log").read_text()[-3000:]
                    raise RuntimeError(f"signup {n} failed: {error}; web log:\n{tail}") from error
                time.sleep(gap)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                arrived = _arrivals(Path(folder) / "arrivals.tsv")
                if all(email in arrived for email in answered):
                    break
                time.sleep(0.2)
            newsletters = sink.count - before - signups
        finally:
            _stop(worker)
            _stop(web)
        missing = [e for e in answered if e not in arrived]
        if missing:
            tail = (Path(folder) / "worker.log").read_text()[-2000:]
            raise RuntimeError(f"{len(missing)} confirmations never arrived; worker log:\n{tail}")
    waits = sorted(arrived[e] - t for e, t in answered.items())
    p99 = statistics.quantiles(waits, n=100, method="inclusive")[98]
    return {"p50": statistics.median(waits), "p99": p99, "max": waits[-1], "others": newsletters}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--signups", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between signups")
    parser.add_argument("--warmup", type=int, default=500,
                        help="newsletters the sink receives before the first signup")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    rows = []
    for name, url in databases():
        baseline = measure(url, 0, args.signups, args.gap, 0)
        loaded = measure(url, args.backlog, args.signups, args.gap, args.warmup)
        for label, result in (("empty", baseline), (f"{args.backlog:,}", loaded)):
            rows.append([name, label, f"{result['others']:,.0f}", f"{result['p50']:.2f}",
                         f"{result['p99']:.2f}", f"{result['max']:.2f}",
                         f"{result['p99'] / baseline['p99']:.2f}"])
    print(f"(b) confirmation latency: {args.signups} signups, POST answered -> confirmation at "
          "the sink; ratio to the same run's empty outbox")
    print(table(["database", "newsletter rows queued", "newsletters sent meanwhile", "p50 s",
                 "p99 s", "max s", "p99 ratio"], rows))


if __name__ == "__main__":
    main()
