"""Hostile signups followed all the way to the mailbox (hypothesis): the worker's pass sends
into a real SMTP server on loopback, and every message that arrives has one recipient (the
stored address), only our headers, and the caller's markup escaped."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import event, example, given
from hypothesis import strategies as st
from sqlalchemy import select

from service.extensions import db
from service.models import Subscriber
from tests.smtp_server import Received
from tests.web.conftest import link_in
from tests.web.hostile import (
    ADDRESS,
    ALLOWED_ORIGIN,
    QUICK,
    TEXT,
    TRUNCATED_BODIES,
    Target,
    assert_answered,
    assert_clean_mail,
    body,
    stored_whole,
    target,
)

pytestmark = TRUNCATED_BODIES


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Target]:
    with target(request, tmp_path_factory.mktemp("hostile-mail")) as found:
        yield found


def _stored(app: Flask) -> dict[str, str]:
    with app.app_context():
        rows = dict(db.session.execute(select(Subscriber.email, Subscriber.first_name)).all())
        db.session.rollback()
    return {email: name for email, name in rows.items()}


def _check(site: Target, received: list[Received]) -> None:
    """Each message went to one stored address, and reads as that address's own mail."""
    stored = _stored(site.app)
    for mail in received:
        assert_clean_mail(mail.message, mail.envelope_to)
        assert mail.envelope_to[0].lower() in stored, mail.envelope_to


def _post(site: Target, route: str, email: str, name: str) -> int:
    fields = {"email": email, "first_name": name, "consent": "yes"}
    if route == "form":
        data, content_type = body("urlencoded", {**fields, "csrf_token": site.csrf})
        response = site.client.post("/subscribe", data=data, content_type=content_type)
    elif route == "embed":
        data, content_type = body("urlencoded", fields)
        response = site.client.post("/subscribe/embed", data=data, content_type=content_type)
    else:
        headers = {"Origin": ALLOWED_ORIGIN} if route == "json-origin" else {}
        response = site.client.post(
            "/subscribe", data=json.dumps({**fields, "consent": True}), headers=headers,
            content_type="application/json")
    assert_answered(response)
    return response.status_code


ROUTES = st.sampled_from(["form", "embed", "json", "json-origin"])
# Valid addresses more often than ADDRESS alone gives them, so that many signups are accepted
# and their mail is followed.
MAILABLE = st.one_of(st.emails().map(str), ADDRESS)


@QUICK
@given(route=ROUTES, email=MAILABLE, name=TEXT)
@example(route="embed", email="victim@example.com\r\nBcc: thief@attacker.example", name="Ann")
@example(route="json", email="thief@attacker.example, victim@example.com", name="Ann")
@example(route="json-origin", email="victim@example.com",
         name="Ann\r\nBcc: thief@attacker.example")
@example(route="form", email="victim@example.com", name='"><x-canary>')
def test_signup_mail_goes_to_one_address_with_our_headers(
    site: Target, route: str, email: str, name: str
) -> None:
    status = _post(site, route, email, name)
    event(f"{route} signup answered {status}")  # pytest --hypothesis-show-statistics
    stored_whole(site.app)
    received = site.deliver()
    _check(site, received)
    # Confirm each new signup from its own mail: the lesson greets them by the stored name.
    for mail in received:
        text = mail.message.get_body(("plain",))
        if text is not None and "/confirm/" in text.get_content():
            assert_answered(site.client.post(link_in(mail.message, "confirm")))
    _check(site, site.deliver())
    stored_whole(site.app)


@QUICK
@given(email=ADDRESS, kind=st.sampled_from(["urlencoded", "multipart", "text/plain"]))
@example(email="patient@example.com\r\nBcc: thief@attacker.example", kind="urlencoded")
@example(email="patient@example.com, thief@attacker.example", kind="urlencoded")
def test_fresh_links_go_only_to_a_stored_address(site: Target, email: str, kind: str) -> None:
    data, content_type = body(kind, {"email": email})
    assert_answered(site.client.post("/links/fresh", data=data, content_type=content_type))
    _check(site, site.deliver())


CLINIC_LOOKING = ["Refund ready! Claim at https://attacker.example", "win@attacker.example",
                  "www.attacker.example", "Ann http://x.example", "<b>Ann</b>",
                  "Ann <https://x.example>"]


@pytest.mark.parametrize("route", ["embed", "json"])
@pytest.mark.parametrize("name", CLINIC_LOOKING)
def test_a_name_that_could_pass_for_the_clinic_is_refused(
    site: Target, route: str, name: str
) -> None:
    email = f"refund-{route}-{sum(map(ord, name))}@example.com"
    assert _post(site, route, email, name) == 400
    assert email not in _stored(site.app)
