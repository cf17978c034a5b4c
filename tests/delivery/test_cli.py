"""`flask dispatch` and `flask subscribers import|export`, as the operator runs them."""

from __future__ import annotations

import csv
import time
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from service.extensions import db
from service.models import Consent, Delivery, Enrolment, Subscriber
from tests.conftest import make_app
from tests.delivery.factories import add_course, add_subscriber

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)
HEADER = "email,name,timezone,send_hour,confirmed_at\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_dispatch_prints_its_counts_and_a_second_run_at_the_same_instant_sends_nothing(
    app: Flask, tmp_path: Path
) -> None:
    with app.app_context():
        add_course(db.session, 2)
        add_subscriber(db.session, "pat@example.com", NOW)
        db.session.commit()
    runner = app.test_cli_runner()

    first = runner.invoke(args=["dispatch", "--now", "2026-03-02T15:00:00Z"])
    second = runner.invoke(args=["dispatch", "--now", "2026-03-02T15:00:00+00:00"])

    assert first.exit_code == 0, first.output
    assert first.output.strip() == "queued=1 sent=1 retried=0 suppressed=0 failed=0"
    assert second.output.strip() == "queued=0 sent=0 retried=0 suppressed=0 failed=0"
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1  # no SMTP_URL: the dev outbox


def test_dispatch_rejects_a_malformed_instant(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["dispatch", "--now", "next tuesday"])
    assert result.exit_code != 0
    assert "ISO-8601" in result.output


def test_import_reports_bad_rows_by_line_and_imports_the_rest(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        add_subscriber(db.session, "known@example.com", NOW)
        db.session.commit()
    source = _write(tmp_path / "patients.csv", HEADER + (
        "ann@example.com,Ann,America/Chicago,8,2026-02-01T10:00:00Z\n"  # line 2: confirmed
        "ben@example.com,Ben,Europe/Berlin,,\n"  # line 3: pending, default hour
        "not-an-email,Cy,America/Chicago,9,\n"  # line 4
        "dee@example.com,Dee,Mars/Olympus,9,\n"  # line 5
        "eve@example.com,Eve,America/Chicago,24,\n"  # line 6
        "Ann@Example.com,Ann again,America/Chicago,9,\n"  # line 7: duplicate in file
        "known@example.com,Known,America/Chicago,9,\n"  # line 8: already subscribed
    ))

    result = app.test_cli_runner().invoke(args=["subscribers", "import", str(source)])

    assert result.exit_code == 1, result.output
    assert "imported=2 confirmed=1 pending=1 errors=5" in result.output
    for line in (4, 5, 6, 7, 8):
        assert f"line {line}:" in result.output
    assert "unknown time zone 'Mars/Olympus'" in result.output
    with app.app_context():
        ann = db.session.scalars(select(Subscriber).where(Subscriber.email == "ann@example.com"))
        ann = ann.one()
        ben = db.session.scalars(
            select(Subscriber).where(Subscriber.email == "ben@example.com")).one()
        assert (ann.status, ann.send_hour, ann.first_name) == ("active", 8, "Ann")
        assert (ben.status, ben.send_hour, ben.timezone) == ("pending", 9, "Europe/Berlin")
        [consent] = ann.consents
        assert (consent.form, consent.method) == ("csv-import", "imported")
        assert consent.given_at == datetime(2026, 2, 1, 10, tzinfo=UTC)
        assert consent.submitted["file"] == "patients.csv"
        assert consent.submitted["line"] == 2
        assert "imported_at" in consent.submitted
        assert db.session.get(Enrolment, ann.id) is not None
        assert db.session.get(Enrolment, ben.id) is None
        assert ben.consents == []
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0  # no mail


def test_import_refuses_a_file_without_the_required_columns(app: Flask, tmp_path: Path) -> None:
    source = _write(tmp_path / "bad.csv", "email,name\nann@example.com,Ann\n")
    result = app.test_cli_runner().invoke(args=["subscribers", "import", str(source)])
    assert result.exit_code != 0
    assert "timezone" in result.output


def test_export_then_import_elsewhere_gives_the_same_subscribers(
    app: Flask, tmp_path: Path
) -> None:
    elsewhere = make_app(f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}", tmp_path / "elsewhere")
    source = _write(tmp_path / "in.csv", HEADER + "".join(
        f"p{n}@example.com,P{n},America/Chicago,{n % 24},"
        f"{'2026-02-01T10:00:00+00:00' if n % 2 else ''}\n" for n in range(50)))
    app.test_cli_runner().invoke(args=["subscribers", "import", str(source)])

    exported = app.test_cli_runner().invoke(
        args=["subscribers", "export", str(tmp_path / "out.csv")])
    again = elsewhere.test_cli_runner().invoke(
        args=["subscribers", "import", str(tmp_path / "out.csv")])

    assert "exported=50" in exported.output
    assert "imported=50 confirmed=25 pending=25 errors=0" in again.output
    with (tmp_path / "out.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[3]["email"] == "p3@example.com" and rows[3]["send_hour"] == "3"
    assert rows[3]["status"] == "active" and rows[2]["status"] == "pending"
    with elsewhere.app_context():
        db.engine.dispose()


def test_three_thousand_confirmed_rows_import_in_a_few_seconds(
    app: Flask, tmp_path: Path
) -> None:
    source = _write(tmp_path / "many.csv", HEADER + "".join(
        f"many{n}@example.com,Pat,America/New_York,9,2026-02-01T10:00:00Z\n"
        for n in range(3000)))
    start = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["subscribers", "import", str(source)])
    elapsed = time.perf_counter() - start
    assert "imported=3000 confirmed=3000" in result.output
    assert elapsed < 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Consent)) == 3000
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 3000
