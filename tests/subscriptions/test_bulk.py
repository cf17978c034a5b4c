"""`flask subscribers import|export` as clinic staff run them (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from service.extensions import db
from service.models import Consent, Delivery, Enrolment, Subscriber, Suppression
from service.subscriptions.bulk import import_csv
from service.subscriptions.suppression import address_hash
from tests.conftest import make_app
from tests.delivery.factories import add_course, add_subscriber

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)
HEADER = "email,name,timezone,send_hour,confirmed_at\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _import(app: Flask, path: Path, *options: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["subscribers", "import", str(path), *options])
    return result.exit_code, result.output


def _subscriber(app: Flask, email: str) -> Subscriber:
    with app.app_context():
        subscriber = db.session.scalars(select(Subscriber).where(Subscriber.email == email)).one()
        db.session.expunge(subscriber)
        return subscriber


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_file_with_only_email_and_name_imports_as_pending_and_says_how_to_confirm(
    app: Flask, tmp_path: Path
) -> None:
    source = _write(tmp_path / "list.csv", "email,name\nann@example.com,Ann\nben@example.com,\n")

    code, output = _import(app, source)

    assert code == 0, output
    assert "imported=2 confirmed=0 pending=2" in output
    assert "2 row(s) had no confirmed_at: they are pending" in output
    assert "--send-confirmation" in output
    ann = _subscriber(app, "ann@example.com")
    assert (ann.status, ann.first_name, ann.timezone, ann.send_hour) == (
        "pending", "Ann", "America/Chicago", 9)  # the clinic's zone, the default hour
    assert _count(app, Delivery) == 0  # nobody is mailed without being asked


def test_spreadsheet_headers_semicolons_and_a_bom_are_read(app: Flask, tmp_path: Path) -> None:
    source = _write(tmp_path / "excel.csv", (
        "\ufeffE-mail Address;First Name;Time zone;Send Hour;Confirmed At;Phone\r\n"
        "ann@example.com;Ann;Europe/Berlin;7;2026-02-01T10:00:00Z;555\r\n"
    ))

    code, output = _import(app, source)

    assert code == 0, output
    assert "imported=1 confirmed=1 pending=0" in output
    assert "Ignored columns: Phone." in output
    ann = _subscriber(app, "ann@example.com")
    assert (ann.status, ann.first_name, ann.timezone, ann.send_hour) == (
        "active", "Ann", "Europe/Berlin", 7)


def test_a_tab_separated_file_is_read(app: Flask, tmp_path: Path) -> None:
    source = _write(tmp_path / "export.tsv", "Email\tName\nann@example.com\tAnn, the elder\n")
    code, output = _import(app, source)
    assert code == 0, output
    assert _subscriber(app, "ann@example.com").first_name == "Ann, the elder"


def test_a_file_without_an_email_column_changes_nothing(app: Flask, tmp_path: Path) -> None:
    source = _write(tmp_path / "bad.csv", "Name,Phone\nAnn,555\n")
    code, output = _import(app, source)
    assert code != 0
    assert "no email column" in output and "nothing was imported" in output
    assert _count(app, Subscriber) == 0


def test_a_file_that_is_not_utf8_is_refused_before_any_row_lands(
    app: Flask, tmp_path: Path
) -> None:
    source = _write(tmp_path / "latin1.csv", "email,name\n" + "".join(
        f"p{n}@example.com,Pat\n" for n in range(3000)) + "jose@example.com,José\n", "latin-1")
    code, output = _import(app, source)
    assert code != 0
    assert "line 3002 is not UTF-8" in output
    assert _count(app, Subscriber) == 0


def test_a_cell_too_long_to_read_is_refused_before_any_row_lands(
    app: Flask, tmp_path: Path
) -> None:
    source = _write(tmp_path / "long.csv", "email,name\n" + "".join(
        f"p{n}@example.com,Pat\n" for n in range(3000)) + "jo@example.com," + "x" * 200_000)
    code, output = _import(app, source)
    assert code != 0
    assert "line 3002 cannot be read as CSV" in output and "field limit" in output
    assert _count(app, Subscriber) == 0


def test_bad_rows_are_reported_by_line_and_the_rest_imported(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        add_subscriber(db.session(), "known@example.com", NOW)
        db.session.commit()
    source = _write(tmp_path / "patients.csv", HEADER + (
        "ann@example.com,Ann,America/Chicago,8,2026-02-01T10:00:00Z\n"  # line 2: confirmed
        "ben@example.com,Ben,Europe/Berlin,,\n"  # line 3: pending, default hour
        "not-an-email,Cy,America/Chicago,9,\n"  # line 4
        "dee@example.com,Dee,Mars/Olympus,9,\n"  # line 5
        "eve@example.com,Eve,America/Chicago,24,\n"  # line 6
        "Ann@Example.com,Ann again,America/Chicago,9,\n"  # line 7: twice in the file
        "known@example.com,Known,America/Chicago,9,\n"  # line 8: already on the list
    ))

    code, output = _import(app, source)

    assert code == 1, output
    assert "imported=2 confirmed=1 pending=1 left=0 already=1 confirmations=0 errors=4" in output
    assert "line 4: 'not-an-email': That does not look like an email address" in output
    assert "line 5: unknown time zone 'Mars/Olympus'" in output
    assert "line 6: send_hour must be a whole hour from 0 to 23, not '24'" in output
    assert "line 7: ann@example.com appears earlier in the file" in output
    assert "1 address(es) were already on the list" in output
    with app.app_context():
        ann = db.session.scalars(
            select(Subscriber).where(Subscriber.email == "ann@example.com")).one()
        ben = db.session.scalars(
            select(Subscriber).where(Subscriber.email == "ben@example.com")).one()
        known = db.session.scalars(
            select(Subscriber).where(Subscriber.email == "known@example.com")).one()
        assert (ann.status, ann.send_hour, ann.first_name) == ("active", 8, "Ann")
        assert (ben.status, ben.send_hour, ben.timezone) == ("pending", 9, "Europe/Berlin")
        assert known.first_name == "Pat"  # left as it was
        [consent] = ann.consents
        assert (consent.form, consent.method) == ("csv-import", "imported")
        assert consent.given_at == datetime(2026, 2, 1, 10, tzinfo=UTC)
        assert (consent.submitted["file"], consent.submitted["line"]) == ("patients.csv", 2)
        assert db.session.get(Enrolment, ann.id) is not None
        assert db.session.get(Enrolment, ben.id) is None
        assert ben.consents == []
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_an_address_refused_for_good_before_is_imported_suppressed_and_never_mailed(
    app: Flask, tmp_path: Path
) -> None:
    with app.app_context():
        secret = app.config["SECRET_KEY"]
        db.session.add(Suppression(address_hash=address_hash(secret, "gone@example.com"),
                                   reason="550 5.1.1", created_at=NOW))
        db.session.commit()
    source = _write(tmp_path / "list.csv", "email,confirmed_at\n"
                    "Gone@Example.com,2026-02-01T10:00:00Z\nann@example.com,\n")

    code, output = _import(app, source, "--send-confirmation")

    assert code == 0, output
    assert "imported=2 confirmed=0 pending=1 left=1 already=0 confirmations=1" in output
    gone = _subscriber(app, "gone@example.com")
    assert gone.status == "suppressed"
    with app.app_context():
        assert db.session.get(Enrolment, gone.id) is None
        recipients = db.session.scalars(select(Delivery.subscriber_id)).all()
    assert recipients == [_subscriber(app, "ann@example.com").id]


def test_importing_the_same_file_twice_changes_nothing(app: Flask, tmp_path: Path) -> None:
    source = _write(tmp_path / "list.csv", "email\nann@example.com\nben@example.com\n")
    _import(app, source)
    code, output = _import(app, source)
    assert code == 0, output
    assert "imported=0 confirmed=0 pending=0 left=0 already=2" in output
    assert _count(app, Subscriber) == 2


def test_send_confirmation_queues_one_confirmation_per_pending_row_and_sends_nothing(
    app: Flask, tmp_path: Path
) -> None:
    with app.app_context():
        add_course(db.session(), 2)
        db.session.commit()
    first = _write(tmp_path / "first.csv", "email\nold@example.com\n")
    _import(app, first)  # pending, no mail
    source = _write(tmp_path / "list.csv", "email,confirmed_at\n"
                    "ann@example.com,\nben@example.com,2026-02-01T10:00:00Z\nold@example.com,\n")

    code, output = _import(app, source, "--send-confirmation")

    assert code == 0, output
    assert "confirmations=2" in output
    assert "Queued 2 confirmation email(s)" in output
    with app.app_context():
        queued = db.session.execute(
            select(Subscriber.email, Delivery.kind, Delivery.status)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id).order_by(Subscriber.email)
        ).all()
        assert [tuple(row) for row in queued] == [
            ("ann@example.com", "confirmation", "queued"),
            ("old@example.com", "confirmation", "queued")]
        ann = db.session.scalars(
            select(Subscriber).where(Subscriber.email == "ann@example.com")).one()
        [consent] = ann.consents
        assert consent.confirmed_at is None and consent.submitted["file"] == "list.csv"
    outbox = tmp_path / "outbox"
    assert not list(outbox.glob("*.eml"))  # the command only queued

    code, output = _import(app, source, "--send-confirmation")  # again: nobody asked twice
    assert "confirmations=0" in output
    assert _count(app, Delivery) == 2

    app.test_cli_runner().invoke(args=["dispatch", "--now", datetime.now(UTC).isoformat()])

    sent = sorted(p.read_text() for p in outbox.glob("*.eml"))
    assert len(sent) == 2
    assert all("confirm" in text.lower() for text in sent)


def test_an_imported_confirmed_subscriber_gets_lesson_1_at_their_send_hour(
    app: Flask, tmp_path: Path
) -> None:
    night = datetime(2026, 3, 2, 8, tzinfo=UTC)  # 02:00 in Chicago
    source = _write(tmp_path / "list.csv", "email,timezone,send_hour,confirmed_at\n"
                    "ann@example.com,America/Chicago,9,2026-02-01T10:00:00Z\n"
                    "ben@example.com,Europe/Berlin,8,2026-02-01T10:00:00Z\n")

    import_csv(app, str(source), night)

    with app.app_context():
        due = dict(db.session.execute(
            select(Subscriber.email, Enrolment.next_due_at)
            .join(Enrolment, Enrolment.subscriber_id == Subscriber.id)).all())
    assert due["ann@example.com"] == datetime(2026, 3, 2, 15, tzinfo=UTC)  # 09:00 Chicago
    assert due["ben@example.com"] == datetime(2026, 3, 3, 7, tzinfo=UTC)  # 08:00 Berlin, next day


def test_export_guards_formula_cells_and_import_elsewhere_gives_the_same_subscribers(
    app: Flask, tmp_path: Path
) -> None:
    elsewhere = make_app(f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}", tmp_path / "elsewhere")
    formula = '=HYPERLINK("https://evil.example","Ann")'
    source = _write(tmp_path / "in.csv", "email,name,send_hour,newsletter,confirmed_at,status\n"
                    + "".join(f"p{n}@example.com,P{n},{n % 24},{'yes' if n % 3 else 'no'},"
                              f"{'2026-02-01T10:00:00+00:00' if n % 2 else ''},\n"
                              for n in range(50))
                    + f'eve@example.com,"{formula.replace(chr(34), chr(34) * 2)}",9,no,,\n'
                    + "left@example.com,Lee,9,no,2026-02-01T10:00:00Z,unsubscribed\n")
    _import(app, source)

    exported = app.test_cli_runner().invoke(
        args=["subscribers", "export", str(tmp_path / "out.csv")])
    code, again = _import(elsewhere, tmp_path / "out.csv")

    assert "exported=52" in exported.output
    assert code == 0, again
    assert "imported=52 confirmed=25 pending=26 left=1 already=0" in again
    with (tmp_path / "out.csv").open(newline="") as handle:
        rows = {row["email"]: row for row in csv.DictReader(handle)}
    assert rows["eve@example.com"]["name"] == "'" + formula  # text, not a formula
    assert rows["p3@example.com"]["send_hour"] == "3"
    assert (rows["p3@example.com"]["status"], rows["p2@example.com"]["status"]) == (
        "active", "pending")
    assert rows["left@example.com"]["status"] == "unsubscribed"
    with elsewhere.app_context():
        assert _subscriber(elsewhere, "eve@example.com").first_name == formula
        assert _subscriber(elsewhere, "p4@example.com").newsletter_enabled is True
        assert _subscriber(elsewhere, "p3@example.com").newsletter_enabled is False
        assert _subscriber(elsewhere, "left@example.com").status == "unsubscribed"
        db.engine.dispose()


def test_three_thousand_confirmed_rows_import_whole(app: Flask, tmp_path: Path) -> None:
    source = _write(tmp_path / "many.csv", HEADER + "".join(
        f"many{n}@example.com,Pat,America/New_York,9,2026-02-01T10:00:00Z\n"
        for n in range(3000)))
    code, output = _import(app, source)  # its speed is measured in benchmarks/throughput.py
    assert "imported=3000 confirmed=3000" in output
    assert _count(app, Consent) == 3000
    assert _count(app, Enrolment) == 3000
