"""(a) Whole-pass throughput, as a new user runs it: N confirmed subscribers imported by CSV,
then one `flask --app wsgi dispatch --now …` process that queues and sends lesson 1 to all of
them, against a bare smtplib loop sending the very same bytes over one connection to the
same loopback sink.

The dispatch figure is N / (wall time of that process - wall time of an idle pass process),
so Python's start-up and the app's imports, paid once per process, are not counted.
"""

from __future__ import annotations

import argparse
import csv
import os
import smtplib
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from benchmarks.common import add_course, databases, environment, flask, fresh_app, table
from benchmarks.sink import Sink
from service.extensions import db
from service.models import Enrolment
from service.subscriptions.bulk import import_csv

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def write_csv(path: Path, count: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "timezone", "send_hour", "confirmed_at"])
        for n in range(count):
            writer.writerow([f"patient{n}@example.com", "Pat", "America/Chicago", 9,
                             "2026-03-01T12:00:00+00:00"])


def bare_loop(sink: Sink, count: int) -> tuple[float, float]:
    """smtplib alone, one connection, the bytes dispatch sent: msg/s and CPU ms per message."""
    messages = list(sink.kept())[:count]
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        start, cpu = time.perf_counter(), time.process_time()
        for sender, recipients, data in messages:
            smtp.sendmail(sender, recipients, data)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return len(messages) / elapsed, cpu * 1000 / len(messages)


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _due(app: Flask) -> datetime:
    with app.app_context():
        due: datetime | None = db.session.scalar(select(func.max(Enrolment.next_due_at)))
        db.session.commit()
    assert due is not None
    return due


def measure(name: str, url: str | None, count: int, connections: int) -> list[object]:
    with tempfile.TemporaryDirectory() as folder, \
            Sink(keep=Path(folder) / "kept.bin") as sink, fresh_app(url) as app:
        add_course(app)
        source = Path(folder) / "subscribers.csv"
        write_csv(source, count)
        start = time.perf_counter()
        report = import_csv(app, str(source), NOW)
        imported = time.perf_counter() - start
        due = _due(app)  # lesson 1 goes at each subscriber's send hour
        env = environment(app.config["SQLALCHEMY_DATABASE_URI"], folder, SMTP_URL=sink.url,
                          SMTP_CONNECTIONS=connections)
        idle_runs = [flask(["dispatch", "--now", _instant(due - timedelta(hours=1))], env)
                     for _ in range(3)]
        idle = statistics.median(run[1] for run in idle_runs)
        idle_cpu = statistics.median(run[2] for run in idle_runs)
        output, whole, whole_cpu = flask(["dispatch", "--now", _instant(due)], env)
        sent = sink.count
        ours = count / (whole - idle)
        ours_cpu = (whole_cpu - idle_cpu) * 1000 / count
        bare, bare_cpu = bare_loop(sink, count)
        size = statistics.mean(len(data) for _, _, data in list(sink.kept())[:count])
    assert report.imported == count and sent == count, (report, output)
    return [name, connections, f"{count:,}", f"{imported:.1f}", f"{size / 1024:.1f}",
            f"{idle:.2f}", f"{whole:.2f}", f"{ours:.0f}", f"{bare:.0f}", f"{ours / bare:.2f}",
            f"{ours_cpu:.2f}", f"{bare_cpu:.2f}", f"{os.getloadavg()[0]:.1f}"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--connections", type=int, nargs="*", default=[1, 4])
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure each case this many times (a row each)")
    args = parser.parse_args(argv)
    rows = [measure(name, url, args.count, c) for name, url in databases()
            for c in args.connections for _ in range(args.repeat)]
    print("(a) whole pass: `flask dispatch --now` (minus an idle pass) vs bare smtplib sending "
          "the same bytes, same sink, same run")
    print(table(["database", "SMTP_CONNECTIONS", "messages", "import s", "KB/msg", "idle pass s",
                 "dispatch s", "dispatch msg/s", "bare msg/s", "ratio", "dispatch CPU ms/msg",
                 "bare CPU ms/msg", "load"], rows))
    print("CPU ms/msg: the sending process's own CPU time per message (dispatch: minus an idle "
          "pass); load: the 1-minute load average after each case. With more runnable "
          "processes than cores, CPU per message decides more than the wall clock.")


if __name__ == "__main__":
    main()
