"""Signups are rate-limited per IP and per address, with a friendly 429 page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from service.extensions import db
from service.models import Subscriber
from tests.conftest import make_app
from tests.web.conftest import csrf_token


@pytest.fixture
def limited_app(database: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database, tmp_path, RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="3 per hour")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _post(app: Flask, email: str, ip: str) -> int:
    client = app.test_client()
    base = {"REMOTE_ADDR": ip}
    token = csrf_token(client.get("/", environ_base=base).text)
    data = {"csrf_token": token, "email": email, "consent": "yes"}
    answer = client.post("/subscribe", data=data, environ_base=base)
    if answer.status_code == 429:
        assert "Please wait a little" in answer.text and "<html" in answer.text
    return answer.status_code


def test_one_ip_gets_429_after_the_limit(limited_app: Flask) -> None:
    codes = [_post(limited_app, f"p{n}@example.com", "203.0.113.5") for n in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _post(limited_app, "q@example.com", "203.0.113.6") == 200  # another IP is fine
    with limited_app.app_context():
        stored = db.session.query(Subscriber).count()
    assert stored == 4


def test_one_address_gets_429_from_any_ip(limited_app: Flask) -> None:
    codes = [_post(limited_app, "Ann@example.com", f"198.51.100.{n}") for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_json_gets_a_json_429(limited_app: Flask) -> None:
    client = limited_app.test_client()
    for _ in range(3):
        client.post("/subscribe", json={"email": "ann@example.com", "consent": True})
    answer = client.post("/subscribe", json={"email": "ann@example.com", "consent": True})
    assert answer.status_code == 429 and answer.json["error"] == "Please wait a little"
