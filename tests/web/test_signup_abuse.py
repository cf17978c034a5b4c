"""Signup abuse: one mailbox spelled many ways is one limit, a day's confirmation emails
are capped whatever asks for them, a forged X-Forwarded-For gains nothing, and a name
cannot carry a link into clinic-branded mail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.delivery.queueing import CONFIRMATIONS_PER_DAY
from service.extensions import db
from service.models import Delivery, MessageKind, Subscriber, utcnow
from service.subscriptions import operations
from tests.conftest import make_app
from tests.web.conftest import csrf_token

SPELLINGS = ["victim@ｅxample.com", "victim@example。com", "victim@example．com",
             "Victim@EXAMPLE.com"]


@pytest.fixture
def limited_app(database: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database, tmp_path, RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="3 per hour",
                   TRUSTED_PROXIES=1)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _confirmations(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.kind == MessageKind.CONFIRMATION)) or 0)


def test_one_mailbox_spelled_four_ways_shares_one_limit(limited_app: Flask) -> None:
    codes = []
    for n, email in enumerate(SPELLINGS):
        client = limited_app.test_client()
        base = {"REMOTE_ADDR": f"198.51.100.{n}"}
        codes.append(client.post("/subscribe", json={"email": email, "consent": True},
                                 environ_base=base).status_code)
    assert codes == [200, 200, 200, 429]
    with limited_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 1


def test_a_random_x_forwarded_for_does_not_escape_the_per_ip_limit(limited_app: Flask) -> None:
    # One proxy appends the address it saw; the forged part to its left is not trusted.
    codes = []
    for n in range(4):
        client = limited_app.test_client()
        headers = {"X-Forwarded-For": f"10.0.{n}.{n}, 203.0.113.9"}
        base = {"REMOTE_ADDR": "192.0.2.1"}
        token = csrf_token(client.get("/", headers=headers, environ_base=base).text)
        codes.append(client.post("/subscribe", headers=headers, environ_base=base, data={
            "csrf_token": token, "email": f"p{n}@example.com", "consent": "yes"}).status_code)
    assert codes == [200, 200, 200, 429]


def test_confirmation_emails_are_capped_per_address_per_day_whatever_the_route(
    sqlite_app: Flask,
) -> None:
    now = utcnow()
    signup = operations.SignupRequest("victim@example.com", "", "json", "2026-11-1")
    with sqlite_app.app_context():
        session = db.session()
        for hour in range(3):
            operations.sign_up(session, signup, now + timedelta(hours=hour), "UTC", "k")
            operations.send_fresh_links(session, "victim@example.com",
                                        now + timedelta(hours=hour, minutes=30))
        session.commit()
        assert _confirmations(sqlite_app) == CONFIRMATIONS_PER_DAY
        person = operations.find_by_email(session, "victim@example.com")
        assert len(person.consents) <= CONFIRMATIONS_PER_DAY  # a refused one records nothing
        # A day later the address may be asked again.
        operations.sign_up(session, signup, now + timedelta(days=1, hours=1), "UTC", "k")
        session.commit()
    assert _confirmations(sqlite_app) == CONFIRMATIONS_PER_DAY + 1


@pytest.mark.parametrize("name", ["Refund ready! Claim at https://evil.example",
                                  "ann@evil.example", "www.evil.example", "visit evil.com",
                                  "<b>Ann</b>", "Ann&#60;"])
def test_a_name_with_a_link_an_at_or_markup_is_refused(sqlite_app: Flask, name: str) -> None:
    client = sqlite_app.test_client()
    answer = client.post("/subscribe", json={"email": "a@example.com", "first_name": name,
                                             "consent": True})
    assert answer.status_code == 400
    assert "first_name" in answer.json["errors"]
    page = client.get("/")
    form = client.post("/subscribe", data={"csrf_token": csrf_token(page.text),
                                           "email": "a@example.com", "first_name": name,
                                           "consent": "yes"})
    assert form.status_code == 400 and 'id="first_name-error"' in form.text
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0


@pytest.mark.parametrize("name", ["Ann", "Mary-Jane", "José", "O'Neil", "J.R."])
def test_ordinary_names_are_kept(sqlite_app: Flask, name: str) -> None:
    answer = sqlite_app.test_client().post(
        "/subscribe", json={"email": "a@example.com", "first_name": name, "consent": True})
    assert answer.status_code == 200
