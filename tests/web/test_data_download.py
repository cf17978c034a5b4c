"""The data download holds everything we store about a person; the consent record keeps
only what a consent record needs."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient

from service.models import Consent, Delivery, Enrolment, Subscriber
from tests.smtp_server import SMTPServer
from tests.web.conftest import csrf_token, link_in, subscriber

CONFIRMATION = "Please confirm your email for the sciatica course"


def _signed_up_and_confirmed(web: FlaskClient, server: SMTPServer) -> str:
    page = web.get("/")
    web.post("/subscribe", data={
        "csrf_token": csrf_token(page.text), "email": "ann@example.com", "first_name": "Ann",
        "consent": "yes"}, headers={
        "Referer": "http://localhost/?utm_source=flyer&email=ann%40example.com#top",
        "User-Agent": "Mozilla/5.0 (Ann's phone)"})
    [mail] = [m for m in server.messages_to("ann@example.com") if m["Subject"] == CONFIRMATION]
    confirmed = web.post(link_in(mail, "confirm")).text
    return re.search(r'href="(/preferences/[^"/]+)"', confirmed).group(1)  # type: ignore[union-attr]


def test_the_download_holds_every_stored_column(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    preferences = _signed_up_and_confirmed(web, smtp_server)
    data = json.loads(web.get(f"{preferences}/data.json").data)
    person = data["subscriber"]
    stored = subscriber(mail_app, "ann@example.com")
    assert person["public_id"] == stored.public_id
    assert "suppressed_reason" in person
    for model, part in ((Subscriber, person), (Enrolment, data["enrolment"]),
                        (Consent, data["consents"][0]), (Delivery, data["deliveries"][0])):
        missing = {c.key for c in model.__table__.columns} - set(part) - {
            "id", "subscriber_id"}
        assert not missing, f"{model.__name__} columns left out of the download: {missing}"
    assert data["enrolment"]["last_position_sent"] == 1  # lesson 1 went out
    sent = [d for d in data["deliveries"] if d["status"] == "sent"]
    assert sent and all(d["message_id"] and "smtp_reply" in d and d["attempts"] >= 1
                        for d in sent)


def test_the_consent_record_keeps_the_page_not_its_query_nor_the_browser(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    _signed_up_and_confirmed(web, smtp_server)
    [consent] = subscriber(mail_app, "ann@example.com").consents
    assert consent.submitted["page"] == "http://localhost/"
    assert "user_agent" not in consent.submitted
    assert "utm_source" not in json.dumps(consent.submitted)
