"""The lesson editor and clinical sign-off through the admin, as staff use them (CSRF on),
with mail going through a real SMTP server on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.course import revisions
from service.course.lineup import get_lesson
from service.delivery.dispatch import run_pass
from service.extensions import db
from service.models import AuditEntry, Delivery, Lesson, MessageKind, Subscriber, utcnow
from service.models.course import RevisionStatus
from tests.conftest import make_app
from tests.smtp_server import SMTPServer
from tests.web.admin.conftest import token_of
from tests.web.conftest import link_in, load_course, sign_up

LINKS = re.compile(r"http://localhost/(unsubscribe|preferences)/[A-Za-z0-9._-]+")


@pytest.fixture
def admin_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    """The admin with the course loaded and mail to the loopback SMTP server."""
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url)
    load_course(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def lesson(app: Flask, slug: str) -> Lesson:
    with app.app_context():
        found = get_lesson(db.session, slug)
        assert found is not None
        for revision in found.revisions:
            db.session.expunge(revision)
        db.session.expunge(found)
        return found


def form_of(app: Flask, slug: str, **changes: str) -> dict[str, str]:
    """The editor's fields for the published text, with some changed."""
    published = lesson(app, slug).published
    assert published is not None
    fields = {"subject": published.subject, "preheader": published.preheader,
              "delay_days": str(published.delay_days), "sources": "\n".join(published.sources),
              "body": published.body}
    fields.update(changes)
    return fields


def submit_edit(client: FlaskClient, app: Flask, slug: str, body: str) -> int:
    """An editor changes the body and submits it for review; returns the revision number."""
    data = form_of(app, slug, body=body)
    answer = client.post(f"/admin/lessons/{slug}",
                         data={**data, "action": "submit", "csrf_token": token_of(client)})
    assert answer.status_code == 302, answer.text
    draft = lesson(app, slug).latest
    assert draft is not None and draft.status == RevisionStatus.IN_REVIEW
    return draft.number


def approve(client: FlaskClient, slug: str, number: int) -> int:
    page = client.get(f"/admin/lessons/{slug}/revisions/{number}")
    assert page.status_code == 200
    seen = re.search(r'name="seen_hash" value="([0-9a-f]+)"', page.text)
    assert seen, "the review page carries the hash of what the reviewer read"
    answer = client.post(f"/admin/lessons/{slug}/revisions/{number}/approve",
                         data={"csrf_token": token_of(client), "seen_hash": seen.group(1)})
    return answer.status_code


def html_of(message: object) -> str:
    """The HTML part as the page was before MIME gave it CRLF line ends."""
    html = message.get_body(("html",)).get_content()  # type: ignore[attr-defined]
    return str(html).replace("\r\n", "\n").rstrip("\n")


def test_the_list_shows_each_lesson_with_status_grade_and_last_edit(editor: FlaskClient) -> None:
    page = editor.get("/admin/lessons")
    assert page.status_code == 200
    assert "What sciatica is, in plain words" in page.text
    assert page.text.count(">published<") == 11
    assert "lessons import" in page.text  # last edited by
    assert re.search(r'<td class="num">\d\.\d</td>', page.text), "grade level shown"


def test_the_preview_is_the_html_a_delivery_sends(
    admin_app: Flask, editor: FlaskClient, smtp_server: SMTPServer
) -> None:
    patient = admin_app.test_client()
    sign_up(patient, "maria@example.com", first_name="Maria")
    run_pass(admin_app, utcnow())  # requests only queue mail; the worker's pass sends it
    patient.post(link_in(smtp_server.messages_to("maria@example.com")[0], "confirm"))
    run_pass(admin_app, utcnow())
    sent = smtp_server.messages_to("maria@example.com")[-1]
    assert sent["Subject"] == "What sciatica is, in plain words"

    preview = editor.get("/admin/lessons/what-is-sciatica/preview")
    assert preview.status_code == 200
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    assert LINKS.sub("LINK", preview.text).rstrip("\n") == LINKS.sub("LINK", html_of(sent))
    # The unsaved form renders the same way as the stored revision it equals.
    posted = editor.post("/admin/lessons/what-is-sciatica/preview", data={
        **form_of(admin_app, "what-is-sciatica"), "csrf_token": token_of(editor)})
    assert LINKS.sub("LINK", posted.text) == LINKS.sub("LINK", preview.text)
    text = editor.get("/admin/lessons/what-is-sciatica/preview?view=text")
    assert "Hi Maria," in text.text and "<table" not in text.text


def test_the_editor_page_works_without_inline_script(editor: FlaskClient) -> None:
    page = editor.get("/admin/lessons/techniques")
    assert page.status_code == 200
    assert '<script src="/static/admin-editor.js"' in page.text
    assert "<script>" not in page.text and " onclick=" not in page.text
    assert re.search(r'<iframe[^>]+sandbox[^>]+src="/admin/lessons/techniques/preview', page.text)
    assert 'formtarget="email-preview"' in page.text  # Preview without JavaScript
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = editor.get("/static/admin-editor.js")
    assert script.status_code == 200 and "fetch(" in script.text
    script.close()


def test_the_check_panel_marks_the_offending_words(admin_app: Flask, editor: FlaskClient) -> None:
    body = form_of(admin_app, "techniques")["body"] + "\nThis is guaranteed to work.\n"
    panel = editor.post("/admin/lessons/techniques/check", data={
        **form_of(admin_app, "techniques", body=body), "csrf_token": token_of(editor)})
    assert panel.status_code == 200
    assert "claims not supported by evidence" in panel.text
    assert "<mark>guaranteed</mark>" in panel.text
    assert "Grade level" in panel.text and "Reading time" in panel.text


def test_a_failing_draft_cannot_be_published_through_the_route(
    admin_app: Flask, editor: FlaskClient, reviewer: FlaskClient
) -> None:
    before = lesson(admin_app, "techniques").published_number
    body = "Massage cures sciatica permanently.\n\n" + form_of(admin_app, "techniques")["body"]
    number = submit_edit(editor, admin_app, "techniques", body)
    assert approve(reviewer, "techniques", number) == 409
    assert lesson(admin_app, "techniques").published_number == before
    page = reviewer.get(f"/admin/lessons/techniques/revisions/{number}")
    assert "cannot be published" in page.text and "disabled" in page.text


def test_an_editor_cannot_approve(admin_app: Flask, editor: FlaskClient) -> None:
    number = submit_edit(editor, admin_app, "techniques",
                         "Changed.\n\n" + form_of(admin_app, "techniques")["body"])
    page = editor.get(f"/admin/lessons/techniques/revisions/{number}")
    assert "Approve and publish" not in page.text
    seen = lesson(admin_app, "techniques").latest.content_hash
    answer = editor.post(f"/admin/lessons/techniques/revisions/{number}/approve",
                         data={"csrf_token": token_of(editor), "seen_hash": seen})
    assert answer.status_code == 403
    assert lesson(admin_app, "techniques").published_number != number


def test_a_patient_before_lesson_4_gets_the_corrected_text(
    admin_app: Flask, editor: FlaskClient, reviewer: FlaskClient, smtp_server: SMTPServer
) -> None:
    patient = admin_app.test_client()
    sign_up(patient, "bo@example.com", first_name="Bo")
    run_pass(admin_app, utcnow())  # requests only queue mail; the worker's pass sends it
    patient.post(link_in(smtp_server.messages_to("bo@example.com")[0], "confirm"))
    run_pass(admin_app, utcnow())
    assert len(smtp_server.messages_to("bo@example.com")) == 2  # confirmation, lesson 1

    old = form_of(admin_app, "techniques")["body"]
    first = old.splitlines()[0]
    number = submit_edit(editor, admin_app, "techniques",
                         old.replace(first, first + " (Corrected.)", 1))
    assert approve(reviewer, "techniques", number) == 302
    published = lesson(admin_app, "techniques").published
    assert published is not None and published.number == number
    assert published.reviewer_id is not None and published.approved_at is not None
    assert published.review_credit.startswith("Reviewed by ")

    moment = utcnow()
    while len(smtp_server.messages_to("bo@example.com")) < 5:
        moment += timedelta(hours=6)
        assert moment < utcnow() + timedelta(days=8), "lesson 4 never came"
        run_pass(admin_app, moment)
    lesson_4 = smtp_server.messages_to("bo@example.com")[4]
    text = lesson_4.get_body(("plain",)).get_content()
    assert "(Corrected.)" in text
    assert published.review_credit in " ".join(text.split())
    with admin_app.app_context():
        row = db.session.scalar(select(Delivery).where(
            Delivery.lesson_id == published.lesson_id, Delivery.kind == MessageKind.LESSON))
        assert row is not None and row.revision_id == published.id
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert {"lesson.save_draft", "lesson.submit", "lesson.approve"} <= set(actions)


def test_send_me_a_test_goes_to_the_staff_address_through_the_outbox(
    admin_app: Flask, editor: FlaskClient, smtp_server: SMTPServer
) -> None:
    draft = form_of(admin_app, "techniques", subject="Techniques, a draft subject")
    editor.post("/admin/lessons/techniques",
                data={**draft, "action": "save", "csrf_token": token_of(editor)})
    number = lesson(admin_app, "techniques").latest.number
    answer = editor.post("/admin/lessons/techniques/test",
                         data={"csrf_token": token_of(editor), "number": str(number)})
    assert answer.status_code == 302
    with admin_app.app_context():
        [row] = db.session.scalars(select(Delivery).where(Delivery.kind == MessageKind.TEST))
        assert row.subscriber_id is None and row.to_address.startswith("editor")
        assert db.session.scalar(select(Subscriber).where(
            Subscriber.email == row.to_address)) is None
        address = row.to_address
    assert smtp_server.messages_to(address) == [], "requests only write rows"
    run_pass(admin_app, utcnow())
    [mail] = smtp_server.messages_to(address)
    assert mail["Subject"] == "[Test] Techniques, a draft subject"
    assert "Hi Maria," in mail.get_body(("plain",)).get_content(), "greets like the preview"
    assert mail["To"] == address, "the staff address, under no patient's name"


def test_retired_lessons_are_skipped_by_those_who_have_not_had_them(
    admin_app: Flask, reviewer: FlaskClient, editor: FlaskClient, smtp_server: SMTPServer
) -> None:
    assert editor.post("/admin/lessons/causes/retire",
                       data={"csrf_token": token_of(editor)}).status_code == 403
    patient = admin_app.test_client()
    sign_up(patient, "cy@example.com", first_name="Cy")
    run_pass(admin_app, utcnow())  # requests only queue mail; the worker's pass sends it
    patient.post(link_in(smtp_server.messages_to("cy@example.com")[0], "confirm"))
    run_pass(admin_app, utcnow())
    answer = reviewer.post("/admin/lessons/causes/retire",
                           data={"csrf_token": token_of(reviewer), "confirm": "yes"})
    assert answer.status_code == 302
    assert "retired" in reviewer.get("/admin/lessons").text
    moment = utcnow()
    while len(smtp_server.messages_to("cy@example.com")) < 3:
        moment += timedelta(hours=6)
        assert moment < utcnow() + timedelta(days=4), "the next lesson never came"
        run_pass(admin_app, moment)
    assert smtp_server.messages_to("cy@example.com")[2]["Subject"] == \
        lesson(admin_app, "how-massage-helps").published.subject


def test_add_move_history_and_rollback(admin_app: Flask, editor: FlaskClient) -> None:
    token = token_of(editor)
    added = editor.post("/admin/lessons", data={"csrf_token": token, "slug": "sleep",
                                                "subject": "Sleeping with sciatica"})
    assert added.status_code == 302 and added.headers["Location"].endswith("/lessons/sleep")
    new = lesson(admin_app, "sleep")
    assert new.published_number is None and new.position == 12  # after the 11 lessons
    assert "draft" in editor.get("/admin/lessons").text
    bad = editor.post("/admin/lessons", data={"csrf_token": token, "slug": "Not A Slug",
                                              "subject": "x"})
    assert bad.status_code == 302 and lesson(admin_app, "sleep").position == 12

    editor.post("/admin/lessons/sleep/move", data={"csrf_token": token, "direction": "up"})
    assert lesson(admin_app, "sleep").position == 11
    assert lesson(admin_app, "recap-and-next-steps").position == 12

    original = lesson(admin_app, "techniques").published.body
    number = submit_edit(editor, admin_app, "techniques", "Short.\n\n" + original)
    history = editor.get("/admin/lessons/techniques/history")
    assert history.status_code == 200 and "in review" in history.text
    rolled = editor.post(f"/admin/lessons/techniques/revisions/{number - 1}/rollback",
                         data={"csrf_token": token})
    assert rolled.status_code == 302
    restored = lesson(admin_app, "techniques").latest
    assert restored.body == original and restored.restored_from == number - 1
    assert restored.status == RevisionStatus.IN_REVIEW
    diff = editor.get(f"/admin/lessons/techniques/revisions/{number}")
    assert '<tr class="diff-added">' in diff.text and "<ins>Short.</ins>" in diff.text


def test_a_bad_form_keeps_the_text_and_says_what_is_wrong(
    admin_app: Flask, editor: FlaskClient
) -> None:
    data = form_of(admin_app, "techniques", subject="", delay_days="soon")
    answer = editor.post("/admin/lessons/techniques",
                         data={**data, "action": "save", "csrf_token": token_of(editor)})
    assert answer.status_code == 400
    assert "Write a subject line." in answer.text and "whole number of days" in answer.text
    assert revisions.status_label(lesson(admin_app, "techniques")) == "published"


def test_submitting_the_published_text_unchanged_says_there_is_nothing_to_review(
    admin_app: Flask, editor: FlaskClient
) -> None:
    data = form_of(admin_app, "techniques")
    answer = editor.post("/admin/lessons/techniques", follow_redirects=True,
                         data={**data, "action": "submit", "csrf_token": token_of(editor)})
    assert answer.status_code == 200
    assert "There is no draft to submit" in answer.text
    assert revisions.status_label(lesson(admin_app, "techniques")) == "published"


def test_the_reviewed_by_line_is_on_after_a_review_and_can_be_hidden(
    admin_app: Flask, editor: FlaskClient, reviewer: FlaskClient
) -> None:
    before = editor.get("/admin/lessons/techniques/preview?view=text").text
    assert "Reviewed by" not in before, "an imported text carries no review line"
    old = form_of(admin_app, "techniques")["body"]
    number = submit_edit(editor, admin_app, "techniques", old.replace("dough", "bread dough"))
    assert approve(reviewer, "techniques", number) == 302
    credit = lesson(admin_app, "techniques").published.review_credit
    assert re.fullmatch(r"Reviewed by reviewer\d+@clinic\.example, RMT, \w+ \d+, \d{4}", credit)
    html = editor.get("/admin/lessons/techniques/preview").text
    assert credit in html
    assert editor.post("/admin/lessons/techniques/review-line",
                       data={"csrf_token": token_of(editor), "show": "0"}).status_code == 403
    reviewer.post("/admin/lessons/techniques/review-line",
                  data={"csrf_token": token_of(reviewer), "show": "0"})
    assert "Reviewed by" not in editor.get("/admin/lessons/techniques/preview").text
    assert "does not show" in editor.get("/admin/lessons/techniques").text
