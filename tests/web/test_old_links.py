"""Old links are not dead ends: fresh links by email, and unsubscribing at any age."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service import tokens
from service.extensions import db
from service.models import Delivery, MessageKind, Subscriber, SubscriberStatus
from tests.smtp_server import SMTPServer
from tests.web.conftest import csrf_token, link_in, sign_up, subscriber
from tests.web.test_public import _token_from_the_past

YEAR_AND_A_DAY = 366 * 24 * 3600
TWO_YEARS = 2 * 365 * 24 * 3600


def _active(web: FlaskClient, smtp_server: SMTPServer, email: str) -> str:
    """Sign up and confirm; return the public id."""
    sign_up(web, email)
    web.post(link_in(smtp_server.messages_to(email)[0], "confirm"))
    return _public_id(web.application, email)


def _public_id(app: Flask, email: str) -> str:
    row = subscriber(app, email)
    assert row is not None
    return row.public_id


def _last_row_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(Delivery.id))) or 0


def _queued(app: Flask, email: str, after: int) -> list[str]:
    """The kinds of mail queued for an address since outbox row `after` (sent or not)."""
    with app.app_context():
        row = db.session.scalar(select(Subscriber).where(Subscriber.email == email))
        if row is None:
            return []
        return [str(d.kind) for d in db.session.scalars(
            select(Delivery).where(Delivery.subscriber_id == row.id, Delivery.id > after))]


def test_an_expired_link_offers_a_fresh_one_the_same_for_every_address(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    public_id = _active(web, smtp_server, "ann@example.com")
    sign_up(web, "pat@example.com")  # pending
    sign_up(web, "una@example.com")
    with mail_app.app_context():
        row = db.session.scalar(select(Subscriber).where(Subscriber.email == "una@example.com"))
        row.status = SubscriberStatus.UNSUBSCRIBED
        db.session.commit()
    old = _token_from_the_past(tokens.PREFERENCES, public_id, YEAR_AND_A_DAY)
    page = web.get(f"/preferences/{old}")
    assert page.status_code == 400
    assert "This link has expired" in page.text and "Email me a fresh link" in page.text
    assert "sign up again" not in page.text.lower().split("new here?")[0]

    answers = {}
    before = _last_row_id(mail_app)
    for email in ("ann@example.com", "pat@example.com", "una@example.com", "nobody@example.com"):
        answer = web.post("/links/fresh", data={"csrf_token": csrf_token(page.text),
                                                "email": email.upper()})
        assert answer.status_code == 200
        answers[email] = answer.text.replace(email, "ADDRESS")
    assert len(set(answers.values())) == 1
    assert _queued(mail_app, "ann@example.com", before) == [MessageKind.ALREADY_SUBSCRIBED]
    assert _queued(mail_app, "pat@example.com", before) == [MessageKind.CONFIRMATION]
    assert _queued(mail_app, "una@example.com", before) == []  # they asked us not to write
    assert subscriber(mail_app, "nobody@example.com") is None  # nothing was created

    # The worker sends it; the fresh preferences link in it works.
    result = mail_app.test_cli_runner().invoke(args=["dispatch"])
    assert result.exit_code == 0, result.output
    fresh = smtp_server.messages_to("ann@example.com")[-1]
    assert web.get(link_in(fresh, "preferences")).status_code == 200


def test_a_bad_address_in_the_fresh_link_form_is_explained(
    mail_app: Flask, web: FlaskClient
) -> None:
    page = web.get("/confirm/" + _token_from_the_past(tokens.CONFIRM, "x" * 32, 8 * 86400))
    assert "Email me a fresh link" in page.text
    answer = web.post("/links/fresh", data={"csrf_token": csrf_token(page.text),
                                            "email": "not an address"})
    assert answer.status_code == 400 and "does not look like an email" in answer.text
    assert 'value="not an address"' in answer.text


def test_one_click_works_with_a_link_of_any_age(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    public_id = _active(web, smtp_server, "ann@example.com")
    old = _token_from_the_past(tokens.UNSUBSCRIBE, public_id, TWO_YEARS)
    provider = mail_app.test_client(use_cookies=False)
    done = provider.post(f"/unsubscribe/{old}", data=b"List-Unsubscribe=One-Click",
                         content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200
    assert subscriber(mail_app, "ann@example.com").status == SubscriberStatus.UNSUBSCRIBED
    # The answer goes to a mailbox provider: it hands out no personal link at all.
    assert not re.search(r"/(preferences|unsubscribe|confirm)/", done.text)


def test_an_old_unsubscribe_link_still_stops_the_mail(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    public_id = _active(web, smtp_server, "ann@example.com")
    old = _token_from_the_past(tokens.UNSUBSCRIBE, public_id, TWO_YEARS)
    page = web.get(f"/unsubscribe/{old}")
    assert "This link has expired" in page.text and "Stop all emails" in page.text
    assert "ann@example.com" not in page.text  # an old link shows no address
    assert subscriber(mail_app, "ann@example.com").status == SubscriberStatus.ACTIVE
    web.post(f"/unsubscribe/{old}", data={"scope": "all"})
    assert subscriber(mail_app, "ann@example.com").status == SubscriberStatus.UNSUBSCRIBED


def test_a_forged_link_of_any_age_changes_nothing(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    public_id = _active(web, smtp_server, "ann@example.com")
    forged = tokens.make_token("another-secret", tokens.UNSUBSCRIBE, public_id)
    answer = web.post(f"/unsubscribe/{forged}", data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 400
    assert subscriber(mail_app, "ann@example.com").status == SubscriberStatus.ACTIVE


def test_an_old_confirmation_link_after_unsubscribing_says_so_up_front(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "ann@example.com")
    confirm = link_in(smtp_server.messages_to("ann@example.com")[0], "confirm")
    web.post(confirm)
    unsubscribe = link_in(smtp_server.messages_to("ann@example.com")[-1], "unsubscribe")
    web.post(unsubscribe, data={"scope": "all"})
    page = web.get(confirm)
    assert page.status_code == 200
    assert "This link will not restart the course" in page.text
    assert "has since unsubscribed" in page.text and "Sign up again" in page.text
    assert "Yes, start my course" not in page.text
