"""(d) Idle cost: one dispatch pass with nothing due, at 10,000 / 100,000 / 1,000,000 enrolled.

The subscribers are bulk-inserted with one SQL statement per step (a row generator in the
database), all with their next lesson due tomorrow, so the pass finds nothing to do.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import text

from benchmarks.common import add_course, databases, fresh_app, table
from service.delivery.dispatch import run_pass
from service.extensions import db

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)
STEPS = (10_000, 100_000, 1_000_000)

_SQLITE = """
WITH RECURSIVE n(x) AS (SELECT :start UNION ALL SELECT x + 1 FROM n WHERE x + 1 < :stop)
INSERT INTO {table} {columns} SELECT {values} FROM n
"""
_POSTGRES = (
    "INSERT INTO {table} {columns} SELECT {values} FROM generate_series(:start, :stop - 1) AS n(x)"
)


def grow(app: Flask, start: int, stop: int, *, newsletter: bool = False) -> None:
    """Add subscribers start..stop-1, active and enrolled, next lesson due tomorrow."""
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        template = _POSTGRES if postgres else _SQLITE
        stamp = "'2026-03-01 15:00:00+00'" if postgres else "'2026-03-01 15:00:00.000000'"
        tomorrow = "'2026-03-03 15:00:00+00'" if postgres else "'2026-03-03 15:00:00.000000'"
        hex_id = "lpad(to_hex(x), 32, '0')" if postgres else "printf('%032x', x)"
        true = "true" if postgres else "1"
        false = "false" if postgres else "0"
        subscriber = template.format(
            table="subscriber",
            columns="(id, public_id, email, first_name, timezone, send_hour, weekdays_only, "
                    "status, course_enabled, newsletter_enabled, paused, created_at, confirmed_at)",
            values=f"x, {hex_id}, 'p' || x || '@example.com', 'Pat', 'America/Chicago', 9, "
                   f"{false}, 'active', {true}, {true if newsletter else false}, {false}, "
                   f"{stamp}, {stamp}",
        )
        enrolment = template.format(
            table="enrolment",
            columns="(subscriber_id, last_position_sent, round, next_due_at, started_at, "
                    "last_sent_at)",
            values=f"x, 1, 1, {tomorrow}, {stamp}, {stamp}",
        )
        for statement in (subscriber, enrolment):
            db.session.execute(text(statement), {"start": start, "stop": stop})
        db.session.commit()
        if postgres:
            # The ids were given explicitly: move the sequence past them for later signups.
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('subscriber', 'id'), "
                                    "(SELECT max(id) FROM subscriber))"))
            db.session.execute(text("ANALYZE subscriber"))
            db.session.execute(text("ANALYZE enrolment"))
            db.session.commit()


def idle_ms(app: Flask, repeats: int = 5) -> float:
    """The median wall time of one pass with nothing due."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        counts = run_pass(app, NOW)
        times.append((time.perf_counter() - start) * 1000)
        assert counts.queued == counts.sent == 0, counts.line()
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max", type=int, default=STEPS[-1], help="stop after this many")
    args = parser.parse_args(argv)
    rows = []
    for name, url in databases():
        with fresh_app(url, SMTP_URL="smtp://127.0.0.1:9") as app:  # never reached: nothing due
            add_course(app)
            done = 0
            baseline = None  # the smallest step's pass, measured in this same run
            for step in (s for s in STEPS if s <= args.max):
                started = time.perf_counter()
                grow(app, done + 1, step + 1)
                done = step
                inserted = time.perf_counter() - started
                ms = idle_ms(app)
                baseline = baseline or ms
                rows.append([name, f"{step:,}", f"{inserted:.1f}", f"{ms:.1f}",
                             f"{ms / baseline:.2f}"])
    print("(d) idle cost: one pass with nothing due (median of 5); ratio to the smallest step")
    print(table(["database", "enrolled", "insert s", "pass ms", "ratio"], rows))


if __name__ == "__main__":
    main()
