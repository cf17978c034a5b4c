"""(a) Throughput: one dispatch sending lesson 1 to N imported subscribers, against a bare
smtplib loop sending as many equally large messages over one connection to the same sink."""

from __future__ import annotations

import argparse
import csv
import smtplib
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import add_course, databases, fresh_app, table
from benchmarks.sink import Sink
from service.delivery.dispatch import run_pass
from service.subscriptions.bulk import import_csv

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def write_csv(path: Path, count: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "timezone", "send_hour", "confirmed_at"])
        for n in range(count):
            writer.writerow([f"patient{n}@example.com", "Pat", "America/Chicago", 9,
                             "2026-03-01T12:00:00+00:00"])


def bare_loop(url: str, count: int, size: int) -> float:
    """Messages per second of smtplib alone: one connection, prebuilt bytes of `size`."""
    port = int(url.rsplit(":", 1)[1])
    body = b"Subject: bare\r\nFrom: a@example.com\r\n\r\n" + b"x" * 76 + b"\r\n"
    raw = body * max(1, size // len(body))
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        start = time.perf_counter()
        for n in range(count):
            smtp.sendmail("hello@calmhands.example", [f"bare{n}@example.com"], raw)
        return count / (time.perf_counter() - start)


def measure(name: str, url: str | None, count: int, connections: int) -> list[object]:
    with Sink() as sink, fresh_app(url, SMTP_URL=sink.url, SMTP_CONNECTIONS=connections) as app, \
            tempfile.TemporaryDirectory() as folder:
        add_course(app)
        source = Path(folder) / "subscribers.csv"
        write_csv(source, count)
        start = time.perf_counter()
        report = import_csv(app, str(source), NOW)
        imported = time.perf_counter() - start
        start = time.perf_counter()
        counts = run_pass(app, NOW)
        ours = counts.sent / (time.perf_counter() - start)
        size = _message_size(app)
        bare = bare_loop(sink.url, count, size)
    assert report.imported == count and counts.sent == count, (report, counts.line())
    return [name, connections, count, f"{imported:.1f}", size, f"{ours:.0f}", f"{bare:.0f}",
            f"{ours / bare:.2f}"]


def _message_size(app: object) -> int:
    from sqlalchemy import select

    from service.extensions import db
    from service.mail.compose import compose
    from service.models import Delivery, LessonRevision, Subscriber

    with app.app_context():  # type: ignore[attr-defined]
        delivery = db.session.scalars(select(Delivery).limit(1)).one()
        subscriber = db.session.get(Subscriber, delivery.subscriber_id)
        revision = db.session.get(LessonRevision, delivery.revision_id)
        return len(compose(delivery, subscriber, revision, app.config, NOW).raw)  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--connections", type=int, nargs="*", default=[1, 4])
    args = parser.parse_args(argv)
    rows = [measure(name, url, args.count, c) for name, url in databases()
            for c in args.connections]
    print("(a) throughput: dispatch vs bare smtplib, same sink, same run")
    print(table(["database", "SMTP_CONNECTIONS", "messages", "import s", "bytes/msg",
                 "dispatch msg/s", "bare msg/s", "ratio"], rows))


if __name__ == "__main__":
    main()
