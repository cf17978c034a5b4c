"""(d) Memory: peak RSS of one dispatch pass sending N lessons, each N in a fresh process.

This process seeds the database (the real course; subscribers bulk-inserted with SQL as in the
idle benchmark, lesson 1 due now); a fresh child process then runs only the pass, which queues
and sends every lesson to a loopback SMTP sink in its own process.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import text

from benchmarks.common import CONFIG, add_course, databases, fresh_app, table
from benchmarks.idle import grow
from benchmarks.sink import Sink
from service.extensions import db

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def seed(app: Flask, count: int) -> None:
    """The real course and `count` subscribers with lesson 1 due now."""
    add_course(app)
    grow(app, 1, count + 1)
    with app.app_context():
        db.session.execute(text("UPDATE enrolment SET next_due_at = started_at, "
                                "last_position_sent = 0, last_sent_at = NULL"))
        db.session.commit()


def child(database: str, smtp_url: str) -> dict[str, float]:
    """Runs in a fresh process, like `flask dispatch`: one pass, peak RSS before and after."""
    from service import create_app
    from service.delivery.dispatch import run_pass

    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": database, "SMTP_URL": smtp_url})
    before = _peak_mb()
    start = time.perf_counter()
    counts = run_pass(app, NOW)
    elapsed = time.perf_counter() - start
    return {"before": before, "peak": _peak_mb(), "seconds": elapsed, "sent": counts.sent}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="*", default=[2_000, 20_000],
                        help="lessons per pass; e.g. --counts 100000 for the full run")
    parser.add_argument("--child", nargs=2, metavar=("DATABASE", "SMTP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    rows = []
    for name, url in databases():
        baseline = None  # peak RSS of the smallest pass, measured in this same run
        for count in args.counts:
            with Sink() as sink, fresh_app(url) as app:
                seed(app, count)  # here, so the measured process only dispatches
                output = subprocess.run(
                    [sys.executable, "-m", "benchmarks.memory", "--child",
                     app.config["SQLALCHEMY_DATABASE_URI"], sink.url],
                    check=True, capture_output=True, text=True).stdout
            result = json.loads(output.strip().splitlines()[-1])
            assert result["sent"] == count, result
            baseline = baseline or result["peak"]
            rows.append([name, f"{count:,}", f"{result['before']:.0f}", f"{result['peak']:.0f}",
                         f"{result['peak'] / baseline:.2f}", f"{result['seconds']:.0f}",
                         f"{count / result['seconds']:.0f}"])
    print("(d) memory: peak RSS (MB) of a fresh process running one pass (as `flask dispatch`);"
          " ratio to the smallest pass")
    headers = ["database", "lessons", "RSS before pass", "peak RSS", "ratio", "pass s", "msg/s"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
