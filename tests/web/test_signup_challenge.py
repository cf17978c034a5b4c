"""The optional proof of work: off by default (the form needs no script), and when the
clinic switches it on, a signup must carry a solved, signed, unused challenge."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.extensions import db
from service.models import Subscriber
from tests.conftest import make_app
from tests.web.conftest import Site, csrf_token, subscriber


@pytest.fixture
def on(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(f"sqlite:///{tmp_path / 't.sqlite3'}", tmp_path, SIGNUP_CHALLENGE=True,
                   RATELIMIT_ENABLED=True)
    yield app
    with app.app_context():
        db.engine.dispose()


def _solve(client: FlaskClient) -> str:
    """What challenge.js does in the browser, in Python."""
    task = client.get("/challenge.json").json
    for number in range(task["maxnumber"] + 1):
        if hashlib.sha256(f"{task['salt']}{number}".encode()).hexdigest() == task["challenge"]:
            given = {**{k: task[k] for k in ("algorithm", "challenge", "salt", "signature")},
                     "number": number}
            return base64.b64encode(json.dumps(given).encode()).decode()
    raise AssertionError("no solution")


def _stored(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Subscriber)) or 0)


def test_off_by_default_the_form_has_no_script_and_needs_none(sqlite_app: Flask) -> None:
    client = sqlite_app.test_client()
    page = client.get("/")
    assert "<script" not in page.text
    answer = client.post("/subscribe", data={"csrf_token": csrf_token(page.text),
                                             "email": "ann@example.com", "consent": "yes"})
    assert answer.status_code == 200 and _stored(sqlite_app) == 1


def test_switched_on_a_signup_needs_a_solved_challenge_once(on: Flask) -> None:
    client = on.test_client()
    page = client.get("/")
    assert 'src="/static/challenge.js"' in page.text
    script = client.get("/static/challenge.js")
    assert script.status_code == 200 and b"crypto.subtle.digest" in script.data
    script.close()
    form = {"csrf_token": csrf_token(page.text), "email": "ann@example.com", "consent": "yes"}
    refused = client.post("/subscribe", data=form)
    assert refused.status_code == 400 and "check to finish" in refused.text
    assert _stored(on) == 0
    answer = _solve(client)
    assert client.post("/subscribe", data={**form, "altcha": answer}).status_code == 200
    assert _stored(on) == 1
    replayed = client.post("/subscribe", json={"email": "bob@example.com", "consent": True,
                                               "altcha": answer})
    assert replayed.status_code == 400 and "altcha" in replayed.json["errors"]
    forged = json.loads(base64.b64decode(_solve(client)))
    forged["number"] += 1
    fake = base64.b64encode(json.dumps(forged).encode()).decode()
    assert client.post("/subscribe", json={"email": "bob@example.com", "consent": True,
                                           "altcha": fake}).status_code == 400
    assert _stored(on) == 1


def test_the_pasted_form_carries_the_challenge_when_on(on: Flask) -> None:
    client = on.test_client()
    assert "/static/challenge.js" in client.get("/embed").text
    refused = client.post("/subscribe/embed", data={"email": "ann@example.com",
                                                    "consent": "yes"})
    assert refused.status_code == 400
    solved = client.post("/subscribe/embed", data={"email": "ann@example.com", "consent": "yes",
                                                   "altcha": _solve(client)})
    assert solved.status_code == 200 and _stored(on) == 1


def test_chromium_solves_the_challenge_and_signs_up(site: Site, browser: object) -> None:
    """challenge.js, served by the app itself, solves the puzzle in a real browser."""
    site.app.config["SIGNUP_CHALLENGE"] = True
    page = browser.new_page()  # type: ignore[attr-defined]
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(site.url + "/")
    page.fill("#email", "ann@example.com")
    page.check("#consent")
    page.wait_for_function("document.querySelector('input[name=altcha]').value !== ''",
                           timeout=20000)
    page.click("button[type=submit]")
    page.wait_for_selector("text=check your inbox")
    assert subscriber(site.app, "ann@example.com") is not None
    assert all(url.startswith(site.url) for url in requests)  # no third party asked
    page.close()
