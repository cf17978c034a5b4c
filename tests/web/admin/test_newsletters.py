"""The newsletter in the admin, as staff use it (CSRF on): compose with preview and checks,
clinical sign-off, test sends, send now or schedule, cancel, stop, progress and results,
with mail going through the worker's pass to a real SMTP server on loopback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.delivery.dispatch import run_pass
from service.extensions import db
from service.models import AuditEntry, Delivery, MessageKind, NewsletterIssue, StaffRole, utcnow
from tests.conftest import make_app
from tests.newsletter.helpers import person, stored_issue
from tests.smtp_server import SMTPServer
from tests.web.admin.conftest import login, make_staff, token_of
from tests.web.conftest import load_course

BODY = "## Longer Saturdays\n\nWe now open at 8 on Saturdays. Book a visit when it suits you."


@pytest.fixture
def admin_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    """The admin with the course loaded and mail to the loopback SMTP server."""
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url,
                   CLINIC_TIMEZONE="America/Chicago")
    load_course(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def patients(app: Flask, **states: int) -> None:
    """Patients in the states the audience rule cares about, `kind=count`."""
    now = utcnow()
    with app.app_context():
        for kind, count in states.items():
            for n in range(count):
                options = {"only": {}, "in_course": {"course": "in"},
                           "done": {"course": "done"}, "no_newsletter": {"newsletter": False},
                           "paused": {"paused_days": 5}}[kind]
                person(db.session, f"{kind}{n}@example.com", now, **options)  # type: ignore[arg-type]
        db.session.commit()


def compose(client: FlaskClient, **fields: str) -> int:
    """Write and save a new issue through the form; its id."""
    data = {"csrf_token": token_of(client, "/admin/newsletters/new"), "subject": "Winter news",
            "preheader": "Longer Saturdays", "body": BODY, "action": "save", **fields}
    response = client.post("/admin/newsletters", data=data)
    assert response.status_code == 302, response.text
    found = re.search(r"/admin/newsletters/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def post(client: FlaskClient, issue_id: int, endpoint: str, **fields: str) -> str:
    """Press a button on the issue's page (`endpoint` "" saves it); the page it comes back to."""
    page = f"/admin/newsletters/{issue_id}"
    response = client.post(f"{page}/{endpoint}" if endpoint else page,
                           data={"csrf_token": token_of(client, page), **fields},
                           follow_redirects=True)
    assert response.status_code == 200, response.text
    return response.text


def deliveries(app: Flask, issue_id: int, kind: str = MessageKind.NEWSLETTER) -> list[Delivery]:
    with app.app_context():
        return list(db.session.scalars(select(Delivery).where(
            Delivery.newsletter_issue_id == issue_id, Delivery.kind == kind)))


def test_compose_save_and_find_it_in_the_list(admin_app: Flask, editor: FlaskClient) -> None:
    page = editor.get("/admin/newsletters/new")
    assert page.status_code == 200 and "New issue" in page.text
    issue_id = compose(editor)
    issue = stored_issue(admin_app, issue_id)
    assert (issue.subject, issue.status, issue.include_course) == ("Winter news", "draft", False)
    listing = editor.get("/admin/newsletters").text
    assert f"/admin/newsletters/{issue_id}" in listing and "draft" in listing
    shown = editor.get(f"/admin/newsletters/{issue_id}").text
    assert "We now open at 8 on Saturdays." in shown and 'id="send-form"' in shown
    edited = post(editor, issue_id, "", subject="Winter hours", preheader="", body=BODY,
                  include_course="1", action="save")
    assert "Draft saved." in edited
    issue = stored_issue(admin_app, issue_id)
    assert (issue.subject, issue.include_course) == ("Winter hours", True)
    with admin_app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)
                                     .where(AuditEntry.target == f"newsletter:{issue_id}")).all()
    assert actions == ["newsletter.create", "newsletter.edit"]


def test_a_form_without_subject_or_text_is_refused_and_stores_nothing(
        admin_app: Flask, editor: FlaskClient) -> None:
    token = token_of(editor, "/admin/newsletters/new")
    for data, message in (({"subject": " ", "body": BODY}, "needs a subject"),
                          ({"subject": "News", "body": "\n "}, "needs some text"),
                          ({"subject": "x" * 121, "body": BODY}, "keep it to 120")):
        response = editor.post("/admin/newsletters", data={"csrf_token": token, **data})
        assert response.status_code == 400 and message in response.text
    with admin_app.app_context():
        assert db.session.scalar(select(func.count(NewsletterIssue.id))) == 0


def test_markup_in_a_subject_is_shown_as_text(admin_app: Flask, editor: FlaskClient) -> None:
    issue_id = compose(editor, subject="<script>alert(1)</script> news")
    for page in ("/admin/newsletters", f"/admin/newsletters/{issue_id}"):
        text = editor.get(page).text
        assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text


def test_preview_and_checks_of_unsaved_text(admin_app: Flask, editor: FlaskClient) -> None:
    token = token_of(editor, "/admin/newsletters/new")
    data = {"csrf_token": token, "subject": "Spring news", "preheader": "New hours",
            "body": BODY}
    email = editor.post("/admin/newsletters/preview", data=data)
    assert email.status_code == 200 and "Longer Saturdays" in email.text
    assert "sandbox" in email.headers["Content-Security-Policy"]
    text = editor.post("/admin/newsletters/preview", data={**data, "view": "text"}).text
    assert text.startswith("<pre") and "Book a visit" in text
    panel = editor.post("/admin/newsletters/check", data=data).text
    assert "Grade level" in panel and "Passes the health checks" in panel
    claim = editor.post("/admin/newsletters/check",
                        data={**data, "body": BODY + "\n\nMassage will cure your sciatica."}).text
    assert "must sign it off" in claim and "<mark>cure</mark>" in claim
    with admin_app.app_context():
        assert db.session.scalar(select(func.count(NewsletterIssue.id))) == 0


def test_the_page_counts_the_audience_before_anything_goes(
        admin_app: Flask, editor: FlaskClient) -> None:
    patients(admin_app, only=2, done=1, in_course=3, no_newsletter=2, paused=1)
    issue_id = compose(editor)
    page = editor.get(f"/admin/newsletters/{issue_id}").text
    assert re.search(r"<strong>3</strong> patients would get it", page)
    assert "(3 more are;" in page
    post(editor, issue_id, "", subject="Winter news", body=BODY, include_course="1")
    page = editor.get(f"/admin/newsletters/{issue_id}").text
    assert re.search(r"<strong>6</strong> patients would get it", page)


def test_send_now_goes_through_the_worker_and_reports_results(
        admin_app: Flask, editor: FlaskClient, smtp_server: SMTPServer) -> None:
    patients(admin_app, only=3, in_course=1)
    issue_id = compose(editor)
    refused = post(editor, issue_id, "schedule", when="now")
    assert "Tick the box" in refused and stored_issue(admin_app, issue_id).status == "draft"
    page = post(editor, issue_id, "schedule", when="now", confirm="yes")
    assert "Queued for 3 patients" in page and 'id="progress-bar"' in page
    assert smtp_server.messages == []  # the request only queued
    progress = editor.get(f"/admin/newsletters/{issue_id}/progress").get_json()
    assert (progress["queued"], progress["total"], progress["status"]) == (3, 3, "sending")
    run_pass(admin_app, utcnow())
    run_pass(admin_app, utcnow())
    assert sorted(m["To"] for m in smtp_server.messages) == [
        f"Pat <only{n}@example.com>" for n in range(3)]
    assert stored_issue(admin_app, issue_id).status == "sent"
    page = editor.get(f"/admin/newsletters/{issue_id}").text
    assert re.search(r"<dt>Sent</dt><dd>3</dd>", page) and "In the public archive" in page
    listing = editor.get("/admin/newsletters").text
    assert "sent" in listing
    assert editor.get(f"/newsletter/{stored_issue(admin_app, issue_id).slug}").status_code == 200
    with admin_app.app_context():
        patient_id = db.session.scalars(select(Delivery.subscriber_id).where(
            Delivery.newsletter_issue_id == issue_id)).first()
    patient_page = editor.get(f"/admin/subscribers/{patient_id}").text
    assert f'<a href="/admin/newsletters/{issue_id}">Winter news</a>' in patient_page


def test_a_test_send_goes_to_the_staff_member_only(
        admin_app: Flask, editor: FlaskClient, smtp_server: SMTPServer) -> None:
    patients(admin_app, only=2)
    issue_id = compose(editor)
    page = post(editor, issue_id, "test")
    assert "is on its way to editor" in page
    run_pass(admin_app, utcnow())
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert str(message["To"]).endswith("@clinic.example>") or "@clinic.example" in message["To"]
    assert "Winter news" in str(message["Subject"])
    assert stored_issue(admin_app, issue_id).status == "draft"


def test_schedule_at_a_clinic_time_then_cancel(admin_app: Flask, editor: FlaskClient,
                                               smtp_server: SMTPServer) -> None:
    patients(admin_app, only=2)
    issue_id = compose(editor)
    past = post(editor, issue_id, "schedule", when="clinic_time", at="2020-01-01T09:00")
    assert "That time has passed" in past and stored_issue(admin_app, issue_id).status == "draft"
    garbled = post(editor, issue_id, "schedule", when="clinic_time", at="soon")
    assert "Give a date and a time" in garbled
    later = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT09:00")
    page = post(editor, issue_id, "schedule", when="clinic_time", at=later)
    assert "Scheduled." in page and "Cancel this issue" in page
    issue = stored_issue(admin_app, issue_id)
    assert issue.status == "scheduled" and issue.schedule_mode == "clinic_time"
    assert issue.send_at is not None and issue.send_at.strftime("%H:%M") == "15:00"  # 9 CST
    page = post(editor, issue_id, "cancel")
    assert "Cancelled" in page and stored_issue(admin_app, issue_id).status == "cancelled"
    run_pass(admin_app, utcnow() + timedelta(days=4))
    assert smtp_server.messages == [] and deliveries(admin_app, issue_id) == []


def test_schedule_at_each_patients_hour(admin_app: Flask, editor: FlaskClient) -> None:
    issue_id = compose(editor)
    today = post(editor, issue_id, "schedule", when="subscriber_hour",
                 day=utcnow().date().isoformat())
    assert "has begun somewhere already" in today
    day = (utcnow() + timedelta(days=5)).date()
    page = post(editor, issue_id, "schedule", when="subscriber_hour", day=day.isoformat())
    assert f"on {day.isoformat()}, at each patient's own send hour" in page
    issue = stored_issue(admin_app, issue_id)
    assert (issue.status, issue.schedule_mode, issue.send_day) == ("scheduled",
                                                                   "subscriber_hour", day)


def test_stop_while_sending_sends_nothing_more(admin_app: Flask, editor: FlaskClient,
                                               smtp_server: SMTPServer) -> None:
    patients(admin_app, only=4)
    issue_id = compose(editor)
    post(editor, issue_id, "schedule", when="now", confirm="yes")
    unconfirmed = post(editor, issue_id, "stop")
    assert "Tick the box" in unconfirmed and stored_issue(admin_app, issue_id).status == "sending"
    page = post(editor, issue_id, "stop", confirm="yes")
    assert "Stopped. 4 messages will not go" in page
    run_pass(admin_app, utcnow())
    assert smtp_server.messages == []
    assert stored_issue(admin_app, issue_id).status == "stopped"
    again = post(editor, issue_id, "stop", confirm="yes")
    assert "not sending: nothing to stop" in again


def test_health_claims_need_a_clinicians_sign_off(
        admin_app: Flask, staff_client: Callable[..., FlaskClient],
        smtp_server: SMTPServer) -> None:
    patients(admin_app, only=1)
    author = staff_client(StaffRole.EDITOR)
    issue_id = compose(author, body=BODY + "\n\nMassage will cure your sciatica.")
    page = author.get(f"/admin/newsletters/{issue_id}").text
    assert "a clinician must sign it off" in page and 'id="send-form"' not in page
    refused = post(author, issue_id, "schedule", when="now", confirm="yes")
    assert "needs clinical sign-off" in refused
    assert stored_issue(admin_app, issue_id).status == "draft"
    post(author, issue_id, "", subject="Winter news", body=stored_issue(admin_app, issue_id).body,
         action="submit")
    assert stored_issue(admin_app, issue_id).status == "in_review"
    # An editor may not sign off; a reviewer who is no clinician may not either.
    token = token_of(author, f"/admin/newsletters/{issue_id}")
    assert author.post(f"/admin/newsletters/{issue_id}/approve",
                       data={"csrf_token": token}).status_code == 403
    clinician = admin_app.test_client()
    login(clinician, make_staff(admin_app, StaffRole.REVIEWER, is_clinician=True))
    review_page = clinician.get(f"/admin/newsletters/{issue_id}").text
    seen = re.search(r'name="seen_hash" value="([0-9a-f]{64})"', review_page)
    assert seen, review_page
    stale = post(clinician, issue_id, "approve", seen_hash="0" * 64)
    assert "edited after you opened it" in stale
    assert stored_issue(admin_app, issue_id).approved_by is None
    signed = post(clinician, issue_id, "approve", seen_hash=seen.group(1))
    assert "Signed off" in signed
    issue = stored_issue(admin_app, issue_id)
    assert issue.status == "draft" and issue.approved_by
    post(author, issue_id, "schedule", when="now", confirm="yes")
    run_pass(admin_app, utcnow())
    assert len(smtp_server.messages) == 1


def test_a_clinician_sends_it_back_and_the_author_sees_why(
        admin_app: Flask, editor: FlaskClient) -> None:
    issue_id = compose(editor, body=BODY + "\n\nMassage will cure your sciatica.",
                       action="submit")
    clinician = admin_app.test_client()
    login(clinician, make_staff(admin_app, StaffRole.REVIEWER, is_clinician=True,
                                display_name="Dr Lee"))
    empty = post(clinician, issue_id, "send-back", comment=" ")
    assert "what should change" in empty and stored_issue(admin_app, issue_id).status == "in_review"
    post(clinician, issue_id, "send-back", comment="Say it <b>may</b> ease the pain.")
    issue = stored_issue(admin_app, issue_id)
    assert (issue.status, issue.returned_by) == ("draft", "Dr Lee")
    page = editor.get(f"/admin/newsletters/{issue_id}").text
    assert "A clinician sent it back (Dr Lee)" in page
    assert "Say it &lt;b&gt;may&lt;/b&gt; ease the pain." in page
    token = token_of(editor, f"/admin/newsletters/{issue_id}")
    assert editor.post(f"/admin/newsletters/{issue_id}/send-back",
                       data={"csrf_token": token, "comment": "x"}).status_code == 403


def test_reviews_page_lists_issues_waiting_for_sign_off(admin_app: Flask,
                                                        editor: FlaskClient) -> None:
    issue_id = compose(editor, body=BODY + "\n\nThis treatment is guaranteed to work.",
                       action="submit")
    queue = editor.get("/admin/reviews").text
    assert f"/admin/newsletters/{issue_id}" in queue


def test_an_issue_that_went_cannot_be_edited(admin_app: Flask, editor: FlaskClient) -> None:
    patients(admin_app, only=1)
    issue_id = compose(editor)
    post(editor, issue_id, "schedule", when="now", confirm="yes")
    page = post(editor, issue_id, "", subject="Changed", body="Changed text.")
    assert "can no longer be edited" in page
    assert stored_issue(admin_app, issue_id).subject == "Winter news"


def test_unknown_issue_is_404_and_strangers_are_sent_to_log_in(
        admin_app: Flask, editor: FlaskClient) -> None:
    missing = editor.get("/admin/newsletters/999")
    assert missing.status_code == 404 and "There is no newsletter issue" in missing.text
    assert "Go to the dashboard" in missing.text and "sign-up page" not in missing.text
    stranger = admin_app.test_client()
    answer = stranger.get("/admin/newsletters")
    assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]
    assert stranger.get("/admin/newsletters/1/progress",
                        headers={"Accept": "application/json"}).status_code == 401
