"""(c) Fan-out: queueing one newsletter issue for N subscribers, and queueing it again.

`queue_newsletter` is one INSERT … SELECT … ON CONFLICT DO NOTHING. The baseline, in the
same database and run, is the same INSERT … SELECT into a bare table with no index and no
constraint: the least it costs this database to write N rows. The second run must add
nobody (the key is subscriber and issue).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import func, select, text

from benchmarks.common import databases, fresh_app, table
from benchmarks.idle import grow
from service.delivery.queueing import queue_newsletter
from service.extensions import db
from service.models import Delivery, NewsletterIssue

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)
_BARE = """CREATE TABLE fanout_baseline (subscriber_id INTEGER, kind VARCHAR(20), lane INTEGER,
    newsletter_issue_id INTEGER, status VARCHAR(12), attempts INTEGER, round INTEGER,
    next_attempt_at VARCHAR(32), created_at VARCHAR(32))"""
_BARE_FILL = """INSERT INTO fanout_baseline SELECT id, 'newsletter', 2, :issue, 'queued', 0, 1,
    :now, :now FROM subscriber WHERE status = 'active' AND newsletter_enabled AND NOT paused"""


def baseline_seconds(app: Flask, issue_id: int) -> float:
    """The same rows written into a bare table, then thrown away."""
    with app.app_context():
        db.session.execute(text(_BARE))
        db.session.commit()
        start = time.perf_counter()
        db.session.execute(text(_BARE_FILL), {"issue": issue_id, "now": NOW.isoformat()})
        db.session.commit()
        elapsed = time.perf_counter() - start
        db.session.execute(text("DROP TABLE fanout_baseline"))
        db.session.commit()
    return elapsed


def _queued(issue_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.newsletter_issue_id == issue_id)) or 0


def fan_out(app: Flask, issue_id: int) -> tuple[int, float]:
    """Rows added (counted in the table) and seconds for one `queue_newsletter`, committed."""
    with app.app_context():
        issue = db.session.get(NewsletterIssue, issue_id)
        assert issue is not None
        before = _queued(issue_id)
        db.session.commit()
        start = time.perf_counter()
        queue_newsletter(db.session(), issue, NOW)
        db.session.commit()
        elapsed = time.perf_counter() - start
        return _queued(issue_id) - before, elapsed


def measure(name: str, url: str | None, count: int) -> list[object]:
    with fresh_app(url) as app:
        grow(app, 1, count + 1, newsletter=True)
        with app.app_context():
            issue = NewsletterIssue(subject="Spring news from the clinic", body="Hello.",
                                    created_at=NOW)
            db.session.add(issue)
            db.session.commit()
            issue_id = issue.id
        bare = baseline_seconds(app, issue_id)
        added, first = fan_out(app, issue_id)
        again, second = fan_out(app, issue_id)
        with app.app_context():
            rows = db.session.scalar(select(func.count()).select_from(Delivery))
    assert added == count and again == 0 and rows == count, (added, again, rows)
    return [name, f"{count:,}", f"{bare:.2f}", f"{first:.2f}", f"{added:,}", f"{second:.2f}",
            f"{again:,}", f"{first / bare:.2f}"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args(argv)
    rows = [measure(name, url, args.count) for name, url in databases()]
    print("(c) fan-out: queue_newsletter for every subscriber, run twice; ratio to a bare "
          "INSERT … SELECT of the same rows")
    print(table(["database", "subscribers", "bare s", "first s", "added", "second s", "added",
                 "ratio"], rows))


if __name__ == "__main__":
    main()
