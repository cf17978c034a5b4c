"""The patient list and a patient's page: finding people, and the staff actions on them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.delivery.dispatch import run_pass
from service.extensions import db
from service.models import AuditEntry, Delivery, Enrolment, Subscriber, utcnow
from tests.delivery.factories import add_subscriber, seed_subscribers
from tests.web.admin.conftest import token_of


def add(app: Flask, email: str, name: str = "Pat", **changes: object) -> int:
    with app.app_context():
        subscriber = add_subscriber(db.session, email, utcnow() - timedelta(hours=1))
        subscriber.first_name = name
        for key, value in changes.items():
            setattr(subscriber, key, value)
        db.session.commit()
        return subscriber.id


def names_on(page: str) -> list[str]:
    return re.findall(r'<td><a href="/admin/subscribers/\d+">([^<]+)</a></td>', page)


def test_find_a_patient_by_name_or_address(admin_app: Flask, editor: FlaskClient) -> None:
    add(admin_app, "maria.lopez@example.com", "Maria")
    add(admin_app, "john@example.com", "John")
    assert names_on(editor.get("/admin/subscribers?q=mari").text) == ["Maria"]
    assert names_on(editor.get("/admin/subscribers?q=JOHN@EX").text) == ["John"]
    assert names_on(editor.get("/admin/subscribers?q=%25").text) == []  # % is literal


def test_filter_by_status_and_lesson(admin_app: Flask, editor: FlaskClient) -> None:
    add(admin_app, "a@example.com", "Active")
    add(admin_app, "b@example.com", "Paused", paused=True)
    left = add(admin_app, "c@example.com", "Left", status="unsubscribed")
    with admin_app.app_context():
        db.session.get(Enrolment, left).last_position_sent = 3  # type: ignore[union-attr]
        db.session.commit()
    assert names_on(editor.get("/admin/subscribers?status=paused").text) == ["Paused"]
    assert names_on(editor.get("/admin/subscribers?status=active").text) == ["Active"]
    assert names_on(editor.get("/admin/subscribers?lesson=3").text) == ["Left"]
    assert editor.get("/admin/subscribers?status=nonsense&lesson=x").status_code == 200
    huge = "9" * 30
    assert editor.get(f"/admin/subscribers?before={huge}&after=-1&lesson={huge}").status_code \
        == 200


def test_keyset_pages_show_everyone_once(admin_app: Flask, editor: FlaskClient) -> None:
    with admin_app.app_context():
        emails = seed_subscribers(db.session, 120, utcnow())
        db.session.commit()
    seen: list[str] = []
    page = editor.get("/admin/subscribers").text
    while True:
        seen += re.findall(r"<td>(p\d+@example\.com)</td>", page)
        older = re.search(r'href="(/admin/subscribers\?before=\d+)"', page)
        if not older:
            break
        page = editor.get(older.group(1)).text
    assert sorted(seen) == sorted(emails) and len(seen) == 120
    newer = re.search(r'href="(/admin/subscribers\?after=\d+)"', page)
    assert newer, "the last page links back"
    back = editor.get(newer.group(1).replace("&amp;", "&")).text
    assert len(re.findall(r"<td>(p\d+@example\.com)</td>", back)) == 50


def test_the_patient_page_shows_consent_deliveries_and_next_lesson(
    admin_app: Flask, editor: FlaskClient
) -> None:
    subscriber_id = add(admin_app, "ann@example.com", "Ann")
    admin_app.test_cli_runner().invoke(args=["dispatch"])
    page = editor.get(f"/admin/subscribers/{subscriber_id}").text
    assert "ann@example.com" in page
    assert "Next lesson: <strong>Lesson 2</strong>" in page
    assert re.search(r"<td>lesson</td>\s*<td>1 \(", page), "lesson 1 listed as delivered"
    assert "<span class=\"status \">sent</span>" in page


def test_pause_is_done_through_the_preferences_and_audited(
    admin_app: Flask, staff_client: object
) -> None:
    client = staff_client("editor", display_name="Rita")  # type: ignore[operator]
    subscriber_id = add(admin_app, "bo@example.com", "Bo")
    response = client.post(f"/admin/subscribers/{subscriber_id}/pause",
                           data={"csrf_token": token_of(client)})
    assert response.status_code == 302
    assert "Paused" in client.get(response.headers["Location"]).text
    with admin_app.app_context():
        subscriber = db.session.get(Subscriber, subscriber_id)
        assert subscriber is not None and subscriber.paused
        assert db.session.get(Enrolment, subscriber_id).next_due_at is None  # type: ignore[union-attr]
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "subscriber.pause")).one()
        assert entry.actor.startswith("editor") and entry.target == f"subscriber:{subscriber_id}"
        assert entry.before["paused"] is False and entry.after["paused"] is True
        assert "bo@example.com" not in str(entry.before) + str(entry.after)


def test_unsubscribe_from_everything_withdraws_consent_and_says_who(
    admin_app: Flask, editor: FlaskClient
) -> None:
    subscriber_id = add(admin_app, "cy@example.com")
    editor.post(f"/admin/subscribers/{subscriber_id}/unsubscribe-all",
                data={"csrf_token": token_of(editor)})
    with admin_app.app_context():
        subscriber = db.session.get(Subscriber, subscriber_id)
        assert subscriber is not None and subscriber.status == "unsubscribed"
    page = editor.get(f"/admin/subscribers/{subscriber_id}").text
    assert "Unsubscribed them from every email by editor" in page
    assert "they unsubscribed from every email" in page


def test_an_action_without_the_csrf_token_changes_nothing(
    admin_app: Flask, editor: FlaskClient
) -> None:
    subscriber_id = add(admin_app, "dee@example.com")
    assert editor.post(f"/admin/subscribers/{subscriber_id}/pause").status_code == 400
    with admin_app.app_context():
        assert not db.session.get(Subscriber, subscriber_id).paused  # type: ignore[union-attr]


def test_delete_needs_the_box_ticked(admin_app: Flask, editor: FlaskClient) -> None:
    subscriber_id = add(admin_app, "eve@example.com")
    url = f"/admin/subscribers/{subscriber_id}/delete"
    refused = editor.post(url, data={"csrf_token": token_of(editor)})
    assert "nothing was deleted" in editor.get(refused.headers["Location"]).text
    editor.post(url, data={"csrf_token": token_of(editor), "confirm": "yes"})
    with admin_app.app_context():
        assert db.session.get(Subscriber, subscriber_id) is None
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "subscriber.delete")).one()
        assert "eve@example.com" not in str(entry.after)
    assert editor.get(f"/admin/subscribers/{subscriber_id}").status_code == 404


def test_resend_confirmation_only_for_the_unconfirmed(
    admin_app: Flask, editor: FlaskClient
) -> None:
    pending = add(admin_app, "fay@example.com", status="pending", confirmed_at=None)
    active = add(admin_app, "gus@example.com")
    token = token_of(editor)
    editor.post(f"/admin/subscribers/{pending}/resend-confirmation", data={"csrf_token": token})
    refused = editor.post(f"/admin/subscribers/{active}/resend-confirmation",
                          data={"csrf_token": token})
    assert "Only someone who has not confirmed" in editor.get(refused.headers["Location"]).text
    with admin_app.app_context():
        kinds = db.session.execute(select(Delivery.subscriber_id, Delivery.kind)).all()
    assert (pending, "confirmation") in kinds
    assert (active, "confirmation") not in kinds
    outbox = Path(admin_app.config["OUTBOX_DIR"])
    assert not list(outbox.glob("*.eml")), "the request only queues the email"
    run_pass(admin_app, utcnow())
    assert any(b"fay@example.com" in p.read_bytes() for p in outbox.glob("*.eml"))


def test_a_number_too_big_for_the_database_is_not_found(editor: FlaskClient) -> None:
    huge = "9" * 30
    assert editor.get(f"/admin/subscribers/{huge}").status_code == 404
    assert editor.post(f"/admin/subscribers/{huge}/pause",
                       data={"csrf_token": token_of(editor)}).status_code == 404
    assert editor.get(f"/admin/staff/{huge}").status_code in (403, 404)
