"""Soak: lesson 1 to N confirmed subscribers, sent by `flask --app wsgi dispatch` processes
that are killed with SIGKILL mid-batch and started again, while the SMTP server (an aiosmtpd
sink in its own process) is stopped mid-batch and started again on the same port. At the
end: every lesson delivered, and the duplicates counted (goal: at most one per kill per SMTP
connection).

Each new process runs its pass 15 minutes later (`--now`) than the one before: past the
10-minute lease of rows a killed pass had claimed, and past the retry delays an SMTP outage
causes, yet still on lesson 1's day.
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from benchmarks.common import add_course, databases, environment, fresh_app, table
from benchmarks.sink import Sink, free_port
from benchmarks.throughput import NOW, _due, _instant, write_csv
from service.extensions import db
from service.models import Delivery
from service.models.delivery import DeliveryStatus, MessageKind
from service.subscriptions.bulk import import_csv

ROOT = Path(__file__).resolve().parents[1]
STEP = timedelta(minutes=15)


def dispatch(now: datetime, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "dispatch",
                                 "--now", _instant(now)], cwd=ROOT, env=env,
                                stdout=output, stderr=subprocess.STDOUT)


def wait_for_sent(sink: Sink, more: int, process: subprocess.Popen[bytes],
                  timeout: float = 120) -> None:
    """Until the sink has `more` messages than now, or the process ended."""
    target = sink.count + more
    deadline = time.monotonic() + timeout
    while sink.count < target and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


def unsent(app: Flask) -> dict[str, int]:
    """Lessons not yet sent, by status."""
    with app.app_context():
        found = dict(db.session.execute(
            select(Delivery.status, func.count()).where(
                Delivery.kind == MessageKind.LESSON, Delivery.status != DeliveryStatus.SENT)
            .group_by(Delivery.status)).all())
        db.session.commit()
    return found


def soak(url: str | None, count: int, kills: int, outages: int, connections: int,
         seed: int) -> dict[str, int]:
    """Run the soak; its figures."""
    chance = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder, fresh_app(url) as app:
        add_course(app)
        source = Path(folder) / "subscribers.csv"
        write_csv(source, count)
        import_csv(app, str(source), NOW)
        now = _due(app)
        log, port = Path(folder) / "arrivals.tsv", free_port()
        env = environment(app.config["SQLALCHEMY_DATABASE_URI"], folder,
                          SMTP_URL=f"smtp://127.0.0.1:{port}", SMTP_CONNECTIONS=connections,
                          SMTP_TIMEOUT=10)
        # Which interruptions come when: kills and SMTP outages, shuffled.
        plan = ["kill"] * kills + ["outage"] * outages
        chance.shuffle(plan)
        processes = killed = stopped = 0
        sink = Sink(log=log, port=port).__enter__()
        try:
            while True:
                process = dispatch(now, env, Path(folder) / "dispatch.log")
                processes += 1
                now += STEP
                if plan:
                    event = plan.pop(0)
                    wait_for_sent(sink, chance.randint(count // 40, count // 8), process)
                    if event == "kill" and process.poll() is None:
                        process.send_signal(signal.SIGKILL)
                        killed += 1
                    elif event == "outage":
                        sink.__exit__(None, None, None)  # mid-batch: the pass sees it go
                        stopped += 1
                        process.wait(120)
                        sink = Sink(log=log, port=port).__enter__()
                process.wait(600)
                if not plan and not (waiting := unsent(app)):
                    break
                if processes > 2 * (kills + outages) + 10:
                    tail = (Path(folder) / "dispatch.log").read_text()[-3000:]
                    raise SystemExit(f"lessons still unsent: {waiting}; the passes said:\n{tail}")
        finally:
            sink.__exit__(None, None, None)
        arrivals = Counter(line.partition("\t")[2] for line in log.read_text().splitlines())
    delivered = len(arrivals)
    return {"lessons": count, "connections": connections, "kills": killed,
            "smtp restarts": stopped, "processes": processes,
            "lost": count - delivered, "duplicates": sum(arrivals.values()) - delivered,
            "goal": killed * connections}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--outages", type=int, default=2, help="SMTP server stops and starts")
    parser.add_argument("--connections", type=int, nargs="*", default=[1, 4])
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--quick", action="store_true",
                        help="2,000 lessons, 3 kills, 1 SMTP restart")
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.kills, args.outages = 2000, 3, 1
    rows = []
    for name, url in databases():
        if len(databases()) > 1 and url is None:
            continue  # PostgreSQL, when given, is what production runs
        for connections in args.connections:
            started = time.perf_counter()
            result = soak(url, args.count, args.kills, args.outages, connections, args.seed)
            rows.append([name, *(f"{v:,}" for v in result.values()),
                         f"{time.perf_counter() - started:.0f}"])
            assert result["lost"] == 0, result
    print(f"soak: lesson 1 to {args.count:,} subscribers by `flask dispatch` processes killed "
          f"with SIGKILL mid-batch and restarted, the SMTP sink stopped and started")
    print(table(["database", "lessons", "SMTP_CONNECTIONS", "kills", "SMTP restarts",
                 "processes", "lost", "duplicates", "at most (goal)", "seconds"], rows))


if __name__ == "__main__":
    main()
