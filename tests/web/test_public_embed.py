"""The signup form on the clinic's own site: the pasted HTML form and the JSON endpoint."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.extensions import db
from service.models import SubscriberStatus
from tests.conftest import make_app
from tests.smtp_server import SMTPServer
from tests.web.conftest import WorkerClient, link_in, load_course, subscriber

CLINIC_SITE = "https://www.calmhands.example"


@pytest.fixture
def cors_app(database: str, tmp_path: Path, smtp_server: SMTPServer) -> Iterator[Flask]:
    app = make_app(database, tmp_path, SMTP_URL=smtp_server.url, ALLOWED_ORIGINS=[CLINIC_SITE])
    app.test_client_class = WorkerClient
    load_course(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _snippet(client: FlaskClient) -> str:
    page = client.get("/embed")
    assert page.status_code == 200
    found = re.search(r"<textarea[^>]*>(.*?)</textarea>", page.text, re.S)
    assert found
    return html.unescape(found.group(1))


def test_the_embed_page_shows_a_snippet_that_posts_to_us(web: FlaskClient) -> None:
    snippet = _snippet(web)
    assert 'action="http://localhost/subscribe/embed"' in snippet
    consent = re.search(r'<input[^>]*name="consent"[^>]*>', snippet)
    assert consent and "checked" not in consent.group(0)  # consent is never pre-ticked
    assert 'name="website"' in snippet and "csrf_token" not in snippet
    assert '<label for="scs-email">' in snippet


def _fields(snippet: str) -> dict[str, str]:
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', snippet))
    return {**hidden, "email": "bo@example.com", "first_name": "Bo", "consent": "yes",
            "website": ""}


def test_the_pasted_form_signs_up_without_a_cookie_or_token(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    data = _fields(_snippet(web))
    fresh = mail_app.test_client()  # a visitor on the clinic's site: no cookie from us
    answer = fresh.post("/subscribe/embed", data=data, headers={"Origin": CLINIC_SITE})
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    bo = subscriber(mail_app, "bo@example.com")
    assert bo.status == SubscriberStatus.PENDING
    assert bo.consents[0].form == "embedded-form"
    assert bo.consents[0].submitted["page"] == CLINIC_SITE
    assert link_in(smtp_server.messages_to("bo@example.com")[0], "confirm")


def test_the_pasted_form_still_needs_consent_and_an_empty_honeypot(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    data = _fields(_snippet(web))
    no_consent = {k: v for k, v in data.items() if k != "consent"}
    answer = web.post("/subscribe/embed", data=no_consent)
    assert answer.status_code == 400 and "tick the box" in answer.text
    assert 'action="/subscribe/embed"' in answer.text  # retry keeps it an embedded signup
    assert web.post("/subscribe/embed", data={**data, "website": "x"}).status_code == 200
    assert subscriber(mail_app, "bo@example.com") is None
    assert smtp_server.messages == []


def test_json_signup_from_an_allowed_site(
    cors_app: Flask, smtp_server: SMTPServer
) -> None:
    client = cors_app.test_client()
    answer = client.post(
        "/subscribe", json={"email": "Cy@Example.com", "first_name": "Cy", "consent": True},
        headers={"Origin": CLINIC_SITE},
    )
    assert answer.status_code == 200
    assert answer.json["status"] == "ok" and "check your inbox" in answer.json["message"].lower()
    assert answer.headers["Access-Control-Allow-Origin"] == CLINIC_SITE
    assert "Origin" in answer.headers["Vary"]
    cy = subscriber(cors_app, "cy@example.com")
    assert cy.consents[0].form == "json" and cy.consents[0].method.endswith("JSON API")
    assert len(smtp_server.messages_to("cy@example.com")) == 1


def test_json_answers_are_the_same_for_members(cors_app: Flask) -> None:
    client = cors_app.test_client()
    body = {"email": "cy@example.com", "consent": True}
    first = client.post("/subscribe", json=body, headers={"Origin": CLINIC_SITE})
    second = client.post("/subscribe", json=body, headers={"Origin": CLINIC_SITE})
    assert first.json == second.json and first.status_code == second.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "cy@example.com"}, "consent"),
        ({"email": "cy@example.com", "consent": "true "}, "consent"),
        ({"email": "nope", "consent": True}, "email"),
        ({"email": "cy@example.com", "first_name": "<b>", "consent": True}, "first_name"),
        ({"email": ["cy@example.com"], "consent": True}, "email"),
    ],
)
def test_bad_json_gets_a_json_400(cors_app: Flask, body: dict, field: str) -> None:
    answer = cors_app.test_client().post("/subscribe", json=body, headers={"Origin": CLINIC_SITE})
    assert answer.status_code == 400
    assert field in answer.json["errors"]
    assert answer.headers["Access-Control-Allow-Origin"] == CLINIC_SITE
    assert subscriber(cors_app, "cy@example.com") is None


@pytest.mark.parametrize("raw", [b"[1, 2]", b"{not json", b'"text"'])
def test_json_that_is_not_an_object_is_refused(cors_app: Flask, raw: bytes) -> None:
    answer = cors_app.test_client().post(
        "/subscribe", data=raw, content_type="application/json", headers={"Origin": CLINIC_SITE}
    )
    assert answer.status_code == 400


def test_preflight_allows_only_the_listed_sites(cors_app: Flask) -> None:
    client = cors_app.test_client()
    ok = client.options("/subscribe", headers={
        "Origin": CLINIC_SITE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == CLINIC_SITE
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in ok.headers["Access-Control-Allow-Headers"]
    evil = client.options("/subscribe", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert evil.status_code == 403
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_json_from_an_unlisted_site_is_refused_without_cors_headers(
    cors_app: Flask, smtp_server: SMTPServer
) -> None:
    answer = cors_app.test_client().post(
        "/subscribe", json={"email": "cy@example.com", "consent": True},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert subscriber(cors_app, "cy@example.com") is None and smtp_server.messages == []


def test_no_origin_is_allowed_when_none_are_listed(web: FlaskClient) -> None:
    answer = web.options("/subscribe", headers={"Origin": CLINIC_SITE})
    assert answer.status_code == 403
    assert "Access-Control-Allow-Origin" not in answer.headers
