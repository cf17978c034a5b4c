"""Signing up without getting stuck: typo suggestions, the address shown, what was typed kept."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.extensions import db
from service.models import Subscriber
from tests.smtp_server import SMTPServer
from tests.web.conftest import csrf_token, sign_up, subscriber


def _subscribers(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Subscriber)) or 0)


def test_a_typo_is_caught_before_anything_is_sent(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    page = sign_up(web, "maria@gmial.con", "Maria")
    assert page.status_code == 200
    assert "Did you mean <strong>maria@gmail.com</strong>?" in page.text
    assert 'value="maria@gmial.con"' in page.text and 'value="Maria"' in page.text
    assert 'name="consent" value="yes" checked' in page.text  # their tick is kept
    assert _subscribers(mail_app) == 0 and smtp_server.messages == []

    use = web.post("/subscribe", data={
        "csrf_token": csrf_token(page.text), "email": "maria@gmial.con", "first_name": "Maria",
        "consent": "yes", "keep_address": "maria@gmial.con", "use_suggestion": "yes"})
    assert use.status_code == 200 and "Check your inbox" in use.text
    assert "maria@gmail.com" in use.text
    assert subscriber(mail_app, "maria@gmail.com") is not None
    assert subscriber(mail_app, "maria@gmial.con") is None
    assert len(smtp_server.messages_to("maria@gmail.com")) == 1


def test_the_patient_may_keep_what_they_typed(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    page = sign_up(web, "maria@gmial.con")
    keep = web.post("/subscribe", data={
        "csrf_token": csrf_token(page.text), "email": "maria@gmial.con", "consent": "yes",
        "keep_address": "maria@gmial.con", "use_suggestion": "no"})
    assert keep.status_code == 200 and "maria@gmial.con" in keep.text
    assert subscriber(mail_app, "maria@gmial.con") is not None


def test_check_your_inbox_shows_the_address_and_a_way_to_fix_it(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    page = sign_up(web, "Ann@Example.com", "Ann")
    assert "We have sent an email to <strong" in page.text and "ann@example.com" in page.text
    assert "Wrong address? Fix it" in page.text
    assert 'name="consent" value="yes" checked' in page.text
    fixed = web.post("/subscribe", data={
        "csrf_token": csrf_token(page.text), "email": "ann.lee@example.com",
        "first_name": "Ann", "consent": "yes"})
    assert fixed.status_code == 200 and "ann.lee@example.com" in fixed.text
    assert len(smtp_server.messages_to("ann.lee@example.com")) == 1


def test_the_consent_box_stays_ticked_after_an_error(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    page = sign_up(web, "not an address", "Ann")
    assert page.status_code == 400
    assert 'name="consent" value="yes" checked' in page.text
    unticked = sign_up(web, "not an address", "Ann", consent=False)
    assert 'name="consent" value="yes" checked' not in unticked.text


def test_the_embedded_form_suggests_too(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    page = web.post("/subscribe/embed", data={"email": "maria@hotmial.com", "consent": "yes"})
    assert page.status_code == 200 and "maria@hotmail.com" in page.text
    assert 'action="/subscribe/embed"' in page.text
    assert _subscribers(mail_app) == 0
