"""Signing up and confirming, through the real app, database and SMTP server."""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from service import tokens
from service.extensions import db
from service.models import Consent, Delivery, Subscriber, SubscriberStatus
from service.subscriptions.consent import CONSENT_TEXTS, CURRENT
from tests.smtp_server import SMTPServer
from tests.web.conftest import csrf_token, link_in, sign_up, subscriber


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_signup_confirm_and_lesson_one(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    answer = sign_up(web, "Ann.Lee@Example.com", "Ann")
    assert answer.status_code == 200
    assert "Check your inbox" in answer.text
    ann = subscriber(mail_app, "ann.lee@example.com")
    assert ann is not None and ann.status == SubscriberStatus.PENDING
    [consent] = ann.consents
    assert (consent.form, consent.text_version) == ("signup-page", CURRENT)
    assert consent.text == CONSENT_TEXTS[CURRENT] and consent.method == "double opt-in web form"
    assert consent.submitted["email"] == "ann.lee@example.com" and consent.ip_address is None
    assert consent.confirmed_at is None

    [mail] = smtp_server.messages_to("ann.lee@example.com")
    link = link_in(mail, "confirm")
    page = web.get(link)
    assert page.status_code == 200 and "<button" in page.text
    assert subscriber(mail_app, "ann.lee@example.com").status == SubscriberStatus.PENDING

    done = web.post(link)
    assert done.status_code == 200 and "lesson 1 is on its way" in done.text.replace(
        "Lesson 1", "lesson 1")
    assert "/preferences/" in done.text
    ann = subscriber(mail_app, "ann.lee@example.com")
    assert ann.status == SubscriberStatus.ACTIVE and ann.confirmed_at is not None
    assert ann.consents[0].confirmed_at == ann.confirmed_at
    lesson_mail = smtp_server.messages_to("ann.lee@example.com")[-1]
    assert lesson_mail is not mail and lesson_mail["List-Unsubscribe-Post"]


def test_confirming_twice_is_harmless(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "ann@example.com")
    link = link_in(smtp_server.messages_to("ann@example.com")[0], "confirm")
    web.post(link)
    first = subscriber(mail_app, "ann@example.com")
    sent = len(smtp_server.messages)
    again = web.post(link)
    assert again.status_code == 200
    assert web.get(link).status_code == 200
    assert subscriber(mail_app, "ann@example.com").confirmed_at == first.confirmed_at
    assert len(smtp_server.messages) == sent  # no second lesson 1


def _token_from_the_past(purpose: str, public_id: str, seconds_ago: int) -> str:
    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds_ago

    serializer = URLSafeTimedSerializer(
        "test-secret-key", salt=f"subscriber-{purpose}", signer=PastSigner
    )
    return str(serializer.dumps(public_id))


@pytest.mark.parametrize("method", ["get", "post"])
def test_expired_or_forged_confirm_links_change_nothing(
    mail_app: Flask, web: FlaskClient, method: str
) -> None:
    sign_up(web, "ann@example.com")
    public_id = subscriber(mail_app, "ann@example.com").public_id
    expired = _token_from_the_past(tokens.CONFIRM, public_id, 8 * 24 * 3600)
    forged = tokens.make_token("some-other-secret", tokens.CONFIRM, public_id)
    wrong_purpose = tokens.make_token("test-secret-key", tokens.PREFERENCES, public_id)
    for token, says in [(expired, "expired"), (forged, "not valid"), (wrong_purpose, "not valid"),
                        ("garbage", "not valid")]:
        answer = getattr(web, method)(f"/confirm/{token}")
        assert answer.status_code == 400, token
        assert says in answer.text
    assert subscriber(mail_app, "ann@example.com").status == SubscriberStatus.PENDING


def _make_status(app: Flask, email: str, status: str) -> None:
    with app.app_context():
        row = db.session.scalar(select(Subscriber).where(Subscriber.email == email))
        row.status = status
        db.session.commit()


def test_the_answer_never_reveals_who_is_on_the_list(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    for email, status in [("p@example.com", "pending"), ("a@example.com", "active"),
                          ("u@example.com", "unsubscribed"), ("s@example.com", "suppressed")]:
        sign_up(web, email)
        _make_status(mail_app, email, status)
    before = {e: len(smtp_server.messages_to(e)) for e in
              ("p@example.com", "a@example.com", "u@example.com", "s@example.com")}
    bodies = {e: sign_up(web, e, "Pat") for e in ["new@example.com", *before]}
    assert {r.status_code for r in bodies.values()} == {200}
    # Each page shows the address typed, and otherwise the very same words (the fix-it
    # form's CSRF token carries a timestamp, so it is set aside too).
    def same(email: str, text: str) -> str:
        return re.sub(r'name="csrf_token" value="[^"]+"', "", text.replace(email, "ADDRESS"))

    assert len({same(e, r.text) for e, r in bodies.items()}) == 1

    def subjects(email: str) -> list[str]:
        return [str(m["Subject"]) for m in smtp_server.messages_to(email)[before.get(email, 0):]]

    assert "confirm" in subjects("new@example.com")[0].lower()
    assert "confirm" in subjects("p@example.com")[0].lower()
    assert "confirm" not in subjects("a@example.com")[0].lower()  # already subscribed
    assert "confirm" in subjects("u@example.com")[0].lower()
    assert subjects("s@example.com") == []
    assert subscriber(mail_app, "u@example.com").status == SubscriberStatus.PENDING
    assert len(subscriber(mail_app, "u@example.com").consents) == 2  # a new consent record
    assert subscriber(mail_app, "a@example.com").first_name == "Ann"  # not overwritten


@pytest.mark.parametrize(
    ("email", "first_name", "says"),
    [
        ("not-an-address", "Ann", "does not look like an email"),
        ("", "Ann", "enter your email"),
        ("a" * 250 + "@example.com", "Ann", "too long"),
        ("ann@example.com\r\nBcc: victim@example.com", "Ann", "line break"),
        ("ann@example.com", "x" * 61, "60 characters"),
        ("ann@example.com", "Ann\r\nBcc: victim@example.com", "line breaks"),
        ("ann@example.com", "<script>alert(1)</script>", "&lt; and &gt;"),
    ],
)
def test_bad_input_is_refused_with_the_form_kept(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer,
    email: str, first_name: str, says: str,
) -> None:
    answer = sign_up(web, email, first_name)
    assert answer.status_code == 400
    assert says in answer.text
    assert "<script>alert" not in answer.text  # typed markup comes back escaped, never live
    if first_name.startswith("<script>"):
        assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert _count(mail_app, Subscriber) == 0 and _count(mail_app, Consent) == 0
    assert smtp_server.messages == []


def test_an_unticked_consent_box_stores_nothing(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    answer = sign_up(web, "ann@example.com", consent=False)
    assert answer.status_code == 400 and "tick the box" in answer.text
    assert 'value="ann@example.com"' in answer.text
    assert _count(mail_app, Subscriber) == 0 and smtp_server.messages == []


def test_the_consent_box_is_never_ticked_for_you(web: FlaskClient) -> None:
    page = web.get("/").text
    box = page[page.index('id="consent"') - 60: page.index('id="consent"') + 120]
    assert "checked" not in box
    assert CONSENT_TEXTS[CURRENT].split(",")[0] in page
    assert '<label for="email">' in page and '<label for="first_name">' in page


def test_a_filled_honeypot_pretends_success_and_stores_nothing(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    answer = sign_up(web, "bot@example.com", website="http://spam.example")
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert _count(mail_app, Subscriber) == 0 and smtp_server.messages == []


def test_a_post_without_the_csrf_token_is_refused(mail_app: Flask, web: FlaskClient) -> None:
    data = {"email": "ann@example.com", "first_name": "Ann", "consent": "yes"}
    answer = web.post("/subscribe", data=data)
    assert answer.status_code == 400 and "Reload" in answer.text
    assert _count(mail_app, Subscriber) == 0


def test_a_megabyte_post_gets_a_friendly_413(mail_app: Flask, web: FlaskClient) -> None:
    token = csrf_token(web.get("/").text)
    data = {"csrf_token": token, "email": "ann@example.com", "first_name": "x" * 1_000_000,
            "consent": "yes"}
    for path in ("/subscribe", "/subscribe/embed"):
        answer = web.post(path, data=data)
        assert answer.status_code == 413
        assert "far larger" in answer.text and "<html" in answer.text
    assert _count(mail_app, Subscriber) == 0


def test_no_header_or_recipient_can_be_added_through_the_form(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    # A name with an address in it is refused outright; one with quotes and commas is kept
    # as a display name, never as another recipient.
    assert sign_up(web, "ann@example.com", 'Ann, "Bcc" victim@example.com').status_code == 400
    sign_up(web, "ann@example.com", 'Ann, "Bcc" victim')
    [received] = smtp_server.handler.received
    assert received.envelope_to == ["ann@example.com"]
    message = received.message
    assert message["To"].addresses[0].addr_spec == "ann@example.com"
    assert len(message["To"].addresses) == 1
    assert message["Bcc"] is None and message["Cc"] is None


def test_the_ip_address_is_kept_only_when_the_clinic_wants_it(
    database: str, tmp_path, smtp_server: SMTPServer
) -> None:
    from tests.conftest import make_app

    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url, STORE_SIGNUP_IP=True)
    client = app.test_client()
    sign_up(client, "ann@example.com")
    assert subscriber(app, "ann@example.com").consents[0].ip_address == "127.0.0.1"
    with app.app_context():
        db.engine.dispose()


def test_sent_confirmations_are_recorded(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "ann@example.com")
    with mail_app.app_context():
        [delivery] = db.session.scalars(select(Delivery)).all()
        assert (delivery.kind, delivery.status) == ("confirmation", "sent")
        assert delivery.message_id == smtp_server.messages[0]["Message-ID"]


def test_signup_still_answers_when_the_mail_server_is_down(
    database: str, tmp_path, smtp_server: SMTPServer
) -> None:
    from tests.conftest import make_app
    from tests.smtp_server import free_port

    app = make_app(database, tmp_path, SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    answer = sign_up(app.test_client(), "ann@example.com")
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    with app.app_context():
        [delivery] = db.session.scalars(select(Delivery)).all()
        assert delivery.status == "queued"  # the worker retries it
        db.session.remove()
        db.engine.dispose()
