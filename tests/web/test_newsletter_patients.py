"""The newsletter as patients meet it: newsletter-only signup, per-list one-click, the archive."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.delivery.dispatch import run_pass
from service.extensions import db
from service.models import Delivery, Enrolment, Subscriber, utcnow
from service.newsletter import issues, schedule
from tests.smtp_server import SMTPServer
from tests.web.conftest import link_in, sign_up, subscriber


def _send_issue(app: Flask, subject: str = "Winter news", **options: bool) -> int:
    with app.app_context():
        now = utcnow()
        issue = issues.create_issue(db.session, subject, "", "We now open at 8.", now, "Dana",
                                    **options)
        issues.schedule_issue(db.session, issue, schedule.send_now(now), now)
        db.session.commit()
        issue_id = issue.id
    run_pass(app, utcnow())
    return issue_id


def _one_click(app: Flask, header: str) -> None:
    found = re.match(r"<http://localhost(/unsubscribe/[^>]+)>", header)
    assert found, header
    provider = app.test_client(use_cookies=False)
    answer = provider.post(found.group(1), data=b"List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200


def test_newsletter_only_confirms_the_same_way_and_skips_the_course(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "nell@example.com", choice="newsletter")
    confirmation = smtp_server.messages_to("nell@example.com")
    assert len(confirmation) == 1
    page = web.post(link_in(confirmation[0], "confirm"))
    assert "You will get the clinic newsletter; no course lessons" in page.text
    nell = subscriber(mail_app, "nell@example.com")
    assert nell is not None and nell.status == "active"
    assert (nell.course_enabled, nell.newsletter_enabled) == (False, True)
    assert nell.consents[0].submitted["choice"] == "newsletter"
    assert len(smtp_server.messages_to("nell@example.com")) == 1  # no lesson 1
    _send_issue(mail_app)
    subjects = [m["Subject"] for m in smtp_server.messages_to("nell@example.com")]
    assert subjects[-1] == "Winter news" and len(subjects) == 2


def test_the_embeddable_form_offers_newsletter_only_too(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    snippet = web.get("/embed").text
    assert 'name="choice" value="newsletter"' in snippet.replace("&#34;", '"').replace(
        "&quot;", '"')
    fields = dict(re.findall(r'name=(?:&#34;|&quot;|")(\w+)(?:&#34;|&quot;|") value=(?:&#34;|'
                             r'&quot;|")([^&"]*)', snippet))
    answer = web.post("/subscribe/embed", data={
        "consent_version": fields["consent_version"], "email": "emma@example.com",
        "first_name": "Emma", "consent": "yes", "choice": "newsletter"})
    assert answer.status_code == 200
    web.post(link_in(smtp_server.messages_to("emma@example.com")[0], "confirm"))
    emma = subscriber(mail_app, "emma@example.com")
    assert emma is not None and (emma.course_enabled, emma.newsletter_enabled) == (False, True)


def test_the_course_choice_is_still_the_default(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "ann@example.com")
    web.post(link_in(smtp_server.messages_to("ann@example.com")[0], "confirm"))
    ann = subscriber(mail_app, "ann@example.com")
    assert ann is not None and (ann.course_enabled, ann.newsletter_enabled) == (True, False)
    assert len(smtp_server.messages_to("ann@example.com")) == 2  # confirmation, lesson 1


def _in_both(app: Flask, web: FlaskClient, smtp_server: SMTPServer, email: str) -> None:
    sign_up(web, email)
    web.post(link_in(smtp_server.messages_to(email)[0], "confirm"))
    with app.app_context():
        row = db.session.scalar(select(Subscriber).where(Subscriber.email == email))
        assert row is not None
        row.newsletter_enabled = True
        db.session.commit()


def test_a_newsletters_one_click_stops_the_newsletter_and_leaves_the_course(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    _in_both(mail_app, web, smtp_server, "ann@example.com")
    _send_issue(mail_app, include_course=True)
    issue_mail = smtp_server.messages_to("ann@example.com")[-1]
    assert issue_mail["Subject"] == "Winter news"
    _one_click(mail_app, str(issue_mail["List-Unsubscribe"]))
    ann = subscriber(mail_app, "ann@example.com")
    assert ann is not None and ann.status == "active" and ann.course_enabled
    assert not ann.newsletter_enabled and ann.newsletter_off_at is not None
    with mail_app.app_context():
        enrolment = db.session.get(Enrolment, ann.id)
        assert enrolment is not None and enrolment.next_due_at is not None


def test_a_lessons_one_click_stops_the_course_and_leaves_the_newsletter(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    _in_both(mail_app, web, smtp_server, "ann@example.com")
    lesson = smtp_server.messages_to("ann@example.com")[-1]
    _one_click(mail_app, str(lesson["List-Unsubscribe"]))
    ann = subscriber(mail_app, "ann@example.com")
    assert ann is not None and ann.status == "active"
    assert (ann.course_enabled, ann.newsletter_enabled) == (False, True)
    _send_issue(mail_app)  # no longer in the course: in the audience now
    assert smtp_server.messages_to("ann@example.com")[-1]["Subject"] == "Winter news"


def test_the_footer_link_offers_both_choices_and_each_does_what_it_says(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    _in_both(mail_app, web, smtp_server, "ann@example.com")
    _send_issue(mail_app, include_course=True)
    path = link_in(smtp_server.messages_to("ann@example.com")[-1], "unsubscribe/newsletter")
    scanner = mail_app.test_client(use_cookies=False)
    page = scanner.get(path)
    assert "Stop the newsletter only" in page.text and "Stop all emails" in page.text
    assert subscriber(mail_app, "ann@example.com").newsletter_enabled  # a GET changes nothing
    done = scanner.post(path, data={"scope": "newsletter"})
    assert "You have left the newsletter" in done.text and "course lessons carry on" in done.text
    ann = subscriber(mail_app, "ann@example.com")
    assert ann is not None and ann.course_enabled and not ann.newsletter_enabled


def test_a_course_link_cannot_be_read_as_a_newsletter_link(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    _in_both(mail_app, web, smtp_server, "ann@example.com")
    course_path = link_in(smtp_server.messages_to("ann@example.com")[-1], "unsubscribe")
    forged = course_path.replace("/unsubscribe/", "/unsubscribe/newsletter/")
    answer = mail_app.test_client().post(forged, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 400
    assert subscriber(mail_app, "ann@example.com").newsletter_enabled


def test_the_archive_shows_only_sent_issues_newest_first_with_nothing_personal(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "nell@example.com", choice="newsletter")
    web.post(link_in(smtp_server.messages_to("nell@example.com")[0], "confirm"))
    first = _send_issue(mail_app, "Autumn news")
    second = _send_issue(mail_app, "Winter news")
    with mail_app.app_context():
        draft = issues.create_issue(db.session, "Spring draft", "", "Not yet.", utcnow())
        db.session.commit()
        draft_id = draft.id
        assert db.session.scalar(select(Delivery.status).where(
            Delivery.newsletter_issue_id == second)) == "sent"
    listing = web.get("/newsletter").text
    assert listing.index("Winter news") < listing.index("Autumn news")
    assert "Spring draft" not in listing
    page = web.get("/newsletter/winter-news")
    assert page.status_code == 200 and "We now open at 8." in page.text
    assert 'name="viewport"' in page.text
    assert "/unsubscribe/" not in page.text and "/preferences/" not in page.text
    assert "Hi " not in page.text
    moved = web.get(f"/newsletter/{first}")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/autumn-news")
    assert web.get(f"/newsletter/{draft_id}").status_code == 404
    assert web.get("/newsletter/no-such-issue").status_code == 404
    emailed = smtp_server.messages_to("nell@example.com")[-1].get_body(("plain",)).get_content()
    assert "http://localhost/newsletter/winter-news" in emailed
