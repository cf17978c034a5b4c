"""(c) Memory: peak RSS of one dispatch pass sending N lessons, each N in a fresh process.

The subscribers are bulk-inserted with SQL (as in the idle benchmark) with lesson 1 due now;
the pass queues and sends all of them to a loopback SMTP sink in its own process.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

from benchmarks.common import add_course, databases, fresh_app, table
from benchmarks.idle import grow
from benchmarks.sink import Sink
from service.extensions import db

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(url: str | None, count: int) -> dict[str, float]:
    """Runs in its own process: seed, then one pass; report peak RSS before and after."""
    from sqlalchemy import text

    from service.delivery.dispatch import run_pass

    with Sink() as sink, fresh_app(url, SMTP_URL=sink.url) as app:
        add_course(app)
        grow(app, 1, count + 1)
        with app.app_context():  # make every lesson 1 due now
            db.session.execute(text("UPDATE enrolment SET next_due_at = started_at, "
                                    "last_position_sent = 0, last_sent_at = NULL"))
            db.session.commit()
        before = _peak_mb()
        start = time.perf_counter()
        counts = run_pass(app, NOW)
        elapsed = time.perf_counter() - start
        assert counts.sent == count, counts.line()
        return {"before": before, "peak": _peak_mb(), "seconds": elapsed}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="*", default=[2_000, 20_000],
                        help="lessons per pass; e.g. --counts 100000 for the full run")
    parser.add_argument("--child", nargs=2, metavar=("URL", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        url = None if args.child[0] == "sqlite" else args.child[0]
        print(json.dumps(child(url, int(args.child[1]))))
        return
    rows = []
    for name, url in databases():
        for count in args.counts:
            output = subprocess.run(
                [sys.executable, "-m", "benchmarks.memory", "--child", url or "sqlite",
                 str(count)], check=True, capture_output=True, text=True).stdout
            result = json.loads(output.strip().splitlines()[-1])
            rows.append([name, f"{count:,}", f"{result['before']:.0f}", f"{result['peak']:.0f}",
                         f"{result['seconds']:.0f}", f"{count / result['seconds']:.0f}"])
    print("(c) memory: peak RSS of one pass (MB), each run in a fresh process")
    print(table(["database", "lessons", "RSS before pass", "peak RSS", "pass s", "msg/s"], rows))


if __name__ == "__main__":
    main()
