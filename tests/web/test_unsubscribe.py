"""Leaving: the RFC 8058 one-click POST, the page with a choice, and the way back."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service import tokens
from service.extensions import db
from service.models import (
    Delivery,
    Enrolment,
    Lane,
    MessageKind,
    Subscriber,
    SubscriberStatus,
    utcnow,
)
from tests.smtp_server import SMTPServer
from tests.web.conftest import csrf_token, link_in, sign_up, subscriber
from tests.web.test_public import _token_from_the_past


def _confirmed(web: FlaskClient, smtp_server: SMTPServer, email: str = "ann@example.com") -> str:
    """Sign up and confirm; return the List-Unsubscribe path of lesson 1."""
    sign_up(web, email)
    web.post(link_in(smtp_server.messages_to(email)[0], "confirm"))
    lesson = smtp_server.messages_to(email)[-1]
    header = str(lesson["List-Unsubscribe"])
    found = re.match(r"<http://localhost(/unsubscribe/[^>]+)>", header)
    assert found, header
    assert str(lesson["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    return found.group(1)


def _queue_newsletter(app: Flask, email: str) -> int:
    with app.app_context():
        row = db.session.scalar(select(Subscriber).where(Subscriber.email == email))
        delivery = Delivery(subscriber_id=row.id, kind=MessageKind.NEWSLETTER, status="queued",
                            lane=Lane.NEWSLETTERS, next_attempt_at=utcnow())
        db.session.add(delivery)
        db.session.commit()
        return delivery.id


def _state(app: Flask, email: str) -> tuple[Subscriber, Enrolment | None, list[Delivery]]:
    with app.app_context():
        row = db.session.scalar(select(Subscriber).where(Subscriber.email == email))
        enrolment = db.session.get(Enrolment, row.id)
        deliveries = list(db.session.scalars(
            select(Delivery).where(Delivery.subscriber_id == row.id).order_by(Delivery.id)))
        withdrawn = [c.withdrawn_at for c in row.consents]
        db.session.expunge_all()
        row.__dict__["withdrawn"] = withdrawn
        return row, enrolment, deliveries


@pytest.mark.parametrize("as_multipart", [False, True])
def test_one_click_exactly_as_a_mailbox_provider_sends_it(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer, as_multipart: bool
) -> None:
    path = _confirmed(web, smtp_server)
    newsletter = _queue_newsletter(mail_app, "ann@example.com")
    provider = mail_app.test_client(use_cookies=False)  # no cookie, no login, no CSRF token
    if as_multipart:
        answer = provider.post(path, data={"List-Unsubscribe": "One-Click"},
                               content_type="multipart/form-data")
    else:
        answer = provider.post(path, data=b"List-Unsubscribe=One-Click",
                               content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200 and "Location" not in answer.headers
    ann, enrolment, deliveries = _state(mail_app, "ann@example.com")
    assert ann.status == SubscriberStatus.UNSUBSCRIBED and ann.unsubscribed_at is not None
    assert ann.__dict__["withdrawn"] == [ann.unsubscribed_at]
    assert enrolment.next_due_at is None
    assert {d.id: d.status for d in deliveries}[newsletter] == "cancelled"
    assert "queued" not in {d.status for d in deliveries}


def test_a_second_one_click_changes_nothing_more(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _confirmed(web, smtp_server)
    provider = mail_app.test_client(use_cookies=False)
    body = {"data": b"List-Unsubscribe=One-Click",
            "content_type": "application/x-www-form-urlencoded"}
    provider.post(path, **body)
    first = _state(mail_app, "ann@example.com")[0].unsubscribed_at
    assert provider.post(path, **body).status_code == 200
    assert _state(mail_app, "ann@example.com")[0].unsubscribed_at == first


def test_opening_the_link_changes_nothing(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _confirmed(web, smtp_server)
    scanner = mail_app.test_client(use_cookies=False)
    for _ in range(3):
        page = scanner.get(path)
        assert page.status_code == 200
        assert 'name="scope"' in page.text and "<button" in page.text
    ann, enrolment, _ = _state(mail_app, "ann@example.com")
    assert ann.status == SubscriberStatus.ACTIVE and enrolment.next_due_at is not None


def test_leaving_the_course_only_keeps_the_subscription(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _confirmed(web, smtp_server)
    page = web.post(path, data={"scope": "course"})
    assert page.status_code == 200 and "left the course" in page.text
    assert "/preferences/" in page.text
    ann, enrolment, _ = _state(mail_app, "ann@example.com")
    assert ann.status == SubscriberStatus.ACTIVE and not ann.course_enabled
    assert enrolment.next_due_at is None


def test_stop_all_then_subscribe_again_needs_a_new_confirmation(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _confirmed(web, smtp_server)
    page = web.post(path, data={"scope": "all"})
    assert "You are unsubscribed" in page.text and "Subscribe again" in page.text
    again = re.search(r'action="(/preferences/[^"]+/subscribe-again)"', page.text).group(1)
    token = csrf_token(page.text)
    refused = web.post(again, data={"csrf_token": token})
    assert refused.status_code == 400 and "tick the box" in refused.text
    assert _state(mail_app, "ann@example.com")[0].status == SubscriberStatus.UNSUBSCRIBED

    sent = len(smtp_server.messages_to("ann@example.com"))
    answer = web.post(again, data={"csrf_token": token, "consent": "yes"})
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    ann, enrolment, _ = _state(mail_app, "ann@example.com")
    assert ann.status == SubscriberStatus.PENDING and enrolment.next_due_at is None
    assert len(ann.__dict__["withdrawn"]) == 2 and ann.__dict__["withdrawn"][1] is None
    mail = smtp_server.messages_to("ann@example.com")[sent]
    web.post(link_in(mail, "confirm"))
    ann, enrolment, _ = _state(mail_app, "ann@example.com")
    assert ann.status == SubscriberStatus.ACTIVE
    # A returning patient gets the course again from lesson 1, as the page says.
    [lesson] = smtp_server.messages_to("ann@example.com")[sent + 1:]
    assert lesson["Subject"] == smtp_server.messages_to("ann@example.com")[1]["Subject"]
    assert (enrolment.round, enrolment.last_position_sent) == (2, 1)


def test_forged_links_change_nothing(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    _confirmed(web, smtp_server)
    public_id = subscriber(mail_app, "ann@example.com").public_id
    forged = tokens.make_token("not-our-secret", tokens.UNSUBSCRIBE, public_id)
    answer = web.post(f"/unsubscribe/{forged}", data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 400
    assert _state(mail_app, "ann@example.com")[0].status == SubscriberStatus.ACTIVE


def test_unsubscribe_links_keep_working_for_months(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    _confirmed(web, smtp_server)
    public_id = subscriber(mail_app, "ann@example.com").public_id
    old = _token_from_the_past(tokens.UNSUBSCRIBE, public_id, 90 * 24 * 3600)  # CASL: 60 days
    answer = web.post(f"/unsubscribe/{old}", data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert _state(mail_app, "ann@example.com")[0].status == SubscriberStatus.UNSUBSCRIBED
