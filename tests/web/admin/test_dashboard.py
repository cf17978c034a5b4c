"""The dashboard: counts, the daily chart, the funnel and delivery health, with their tables."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from service.delivery.job import Stop
from service.extensions import db
from service.jobs import dispatch_job
from service.models import Delivery, Enrolment, Subscriber, utcnow
from tests.delivery.factories import add_subscriber


def test_counts_funnel_and_tables(admin_app: Flask, editor: FlaskClient) -> None:
    now = utcnow()
    with admin_app.app_context():
        for n in range(3):
            add_subscriber(db.session, f"p{n}@example.com", now - timedelta(minutes=5))
        db.session.commit()
    admin_app.test_cli_runner().invoke(args=["dispatch"])  # lesson 1 to all three
    with admin_app.app_context():
        quitter = db.session.get(Subscriber, 1)
        assert quitter is not None
        quitter.status = "unsubscribed"
        db.session.get(Subscriber, 2).paused = True  # type: ignore[union-attr]
        db.session.commit()
    page = editor.get("/admin/").text
    assert re.search(r"Active</a> <strong>1</strong>", page)
    assert re.search(r"Paused</a> <strong>1</strong>", page)
    assert re.search(r"Unsubscribed</a> <strong>1</strong>", page)
    # The funnel table: lesson 1 received by 3; one left and one paused after it.
    row = re.search(r'<th scope="row">1\. [^<]+</th>((?:<td class="num">\d+</td>){5})', page)
    assert row and re.findall(r">(\d+)<", row.group(1)) == ["3", "1", "1", "0", "0"]
    assert "3 signups and 3 confirmations in 90 days" in page
    assert page.count("<svg") == 2 and 'role="img"' in page
    assert "<script" not in page


def test_delivery_health_and_worker_heartbeat(admin_app: Flask, editor: FlaskClient) -> None:
    page = editor.get("/admin/").text
    assert "not running" in page and "no pass recorded" in page
    with admin_app.app_context():
        subscriber = add_subscriber(db.session, "q@example.com", utcnow())
        db.session.add(Delivery(subscriber_id=subscriber.id, kind="newsletter", status="failed",
                                attempts=10, smtp_reply="550 5.7.1 policy refusal",
                                next_attempt_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        subscriber_id = subscriber.id
    page = editor.get("/admin/").text
    assert re.search(r"Due now <strong>1</strong>", page)  # q's lesson 1
    assert re.search(r"Failed, last 24 h <strong class=\"bad\">1</strong>", page)
    assert "550 5.7.1 policy refusal" in page
    dispatch_job(admin_app, Stop())  # one worker pass
    page = editor.get("/admin/").text
    assert "Worker <strong class=\"ok\">running</strong>" in page
    with admin_app.app_context():
        assert db.session.get(Enrolment, subscriber_id).last_position_sent == 1  # type: ignore[union-attr]


def test_a_failed_pass_still_shows_the_worker_alive(
    admin_app: Flask, editor: FlaskClient, monkeypatch: object
) -> None:
    import service.jobs

    def broken(*args: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(service.jobs, "run_pass", broken)  # type: ignore[attr-defined]
    dispatch_job(admin_app, Stop())
    with admin_app.app_context():
        from service.models import WorkerHeartbeat

        beat = db.session.get(WorkerHeartbeat, "dispatch")
        assert beat is not None and beat.summary == "pass failed: database went away"
    page = editor.get("/admin/").text
    assert "Worker <strong class=\"ok\">running</strong>" in page
    assert "pass failed: database went away" in page  # running, and saying what went wrong
