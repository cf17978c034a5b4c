"""CSV import and export from the admin follow the same rules as the commands."""

from __future__ import annotations

import csv
import io

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.extensions import db
from service.models import AuditEntry, Delivery, MessageKind, Subscriber
from tests.web.admin.conftest import token_of

GOOD = (
    "email,name,timezone,send_hour,confirmed_at\n"
    "ivy@example.com,Ivy,America/Chicago,8,2026-11-01T10:00:00Z\n"
    "jo@example.com,Jo,Europe/Paris,9,\n"
    "bad-address,Bad,America/Chicago,9,\n"
    "kai@example.com,Kai,Mars/Olympus,9,\n"
)


def upload(client: FlaskClient, text: str | bytes, name: str = "patients.csv",
           **fields: str) -> str:
    page = client.get("/admin/subscribers/import")
    response = client.post(
        "/admin/subscribers/import",
        data={"csrf_token": token_of(client, "/admin/subscribers/import"),
              "csv_file": (io.BytesIO(text if isinstance(text, bytes) else text.encode()), name),
              **fields},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200
    return response.text


def test_import_keeps_good_rows_and_lists_refused_lines(
    admin_app: Flask, owner: FlaskClient
) -> None:
    assert "Import CSV" in owner.get("/admin/subscribers").text
    page = upload(owner, GOOD)
    assert "2 imported (1 confirmed and enrolled, 1 waiting to confirm)" in page
    assert "2 line(s) refused" in page
    assert "unknown time zone" in page and "Mars/Olympus" in page
    with admin_app.app_context():
        emails = set(db.session.scalars(select(Subscriber.email)))
        assert emails == {"ivy@example.com", "jo@example.com"}
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "subscribers.import")).one()
        assert entry.after == {"file": "patients.csv", "imported": 2, "confirmed": 1,
                               "refused": 2, "confirmations_queued": 0}
    again = upload(owner, GOOD)
    assert "0 imported" in again
    assert "2 address(es) were already on the list and were left unchanged" in again


def test_pending_rows_can_be_sent_a_confirmation_once(
    admin_app: Flask, owner: FlaskClient
) -> None:
    page = upload(owner, GOOD, send_confirmation="y")
    assert "1 confirmation email(s) queued" in page
    again = upload(owner, GOOD, send_confirmation="y")
    assert "confirmation email(s) queued" not in again  # each person is invited once
    with admin_app.app_context():
        queued = list(db.session.execute(
            select(Subscriber.email, Delivery.status).join(
                Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.kind == MessageKind.CONFIRMATION)))
        assert queued == [("jo@example.com", "queued")]  # queued for the worker, not sent
        entries = db.session.scalars(select(AuditEntry.after).where(
            AuditEntry.action == "subscribers.import").order_by(AuditEntry.id)).all()
        assert [e["confirmations_queued"] for e in entries] == [1, 0]


def test_header_aliases_are_read_and_unknown_columns_named(
    admin_app: Flask, owner: FlaskClient
) -> None:
    page = upload(owner, "E-mail;First Name;Phone\nlu@example.com;Lu;555 0100\n")
    assert "1 imported (0 confirmed and enrolled, 1 waiting to confirm)" in page
    assert "Ignored columns: Phone." in page
    with admin_app.app_context():
        assert db.session.scalars(select(Subscriber.first_name)).one() == "Lu"


def test_a_file_without_the_columns_imports_nothing(admin_app: Flask, owner: FlaskClient) -> None:
    page = upload(owner, "address,who\nx@example.com,X\n")
    assert "No email column in the first line" in page and "Nothing was imported" in page
    assert "address,who" in page, "the page shows the header it read"
    not_text = upload(owner, b"email,name,timezone,send_hour,confirmed_at\n\xff\xfe,\xe9\n")
    assert "not UTF-8" in not_text and "Nothing was imported" in not_text
    with admin_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_a_large_file_is_accepted(admin_app: Flask, owner: FlaskClient) -> None:
    rows = "".join(f"p{n}@example.com,P,America/Chicago,9,\n" for n in range(3000))
    page = upload(owner, "email,name,timezone,send_hour,confirmed_at\n" + rows)
    assert "3,000 imported" in page  # over the site's 64 KB form limit


def test_export_has_the_command_columns(admin_app: Flask, owner: FlaskClient) -> None:
    upload(owner, GOOD)
    response = owner.get("/admin/subscribers/export")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    response.close()
    assert {r["email"] for r in rows} == {"ivy@example.com", "jo@example.com"}
    assert rows[0].keys() >= {"email", "name", "timezone", "send_hour", "confirmed_at", "status"}


def test_editors_cannot_import_or_export(admin_app: Flask, editor: FlaskClient) -> None:
    assert editor.get("/admin/subscribers/export").status_code == 403
    assert "Import CSV" not in editor.get("/admin/subscribers").text
    assert editor.get("/admin/subscribers/import").status_code == 403
