"""Each link does its one job for the subscriber's current state: a replayed confirmation
hands out nothing, an old confirmation does not confirm a later signup, "log me out of all
links" and erasure switch every link off, and unsubscribe links still stop mail."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from service.models import SubscriberStatus
from tests.smtp_server import SMTPServer
from tests.web.conftest import csrf_token, link_in, sign_up, subscriber

CONFIRMATION = "Please confirm your email for the sciatica course"


def _newest(server: SMTPServer, kind: str, email: str = "ann@example.com") -> str:
    """The `kind` link of the newest email to `email` that has one."""
    for message in reversed(server.messages_to(email)):
        body = message.get_body(("plain",))
        if body is not None and f"/{kind}/" in body.get_content():
            return link_in(message, kind)
    raise AssertionError(f"no {kind} link mailed to {email}")


def _confirmation(server: SMTPServer, email: str = "ann@example.com") -> str:
    [*_, mail] = [m for m in server.messages_to(email) if m["Subject"] == CONFIRMATION]
    return link_in(mail, "confirm")


def _preferences_in(page: str) -> list[str]:
    return re.findall(r'href="(/preferences/[^"/]+)"', page)


def test_a_replayed_confirmation_link_hands_out_no_preferences_link(
    web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "ann@example.com")
    link = _confirmation(smtp_server)
    first = web.post(link)
    assert first.status_code == 200 and _preferences_in(first.text)
    replay = web.post(link)
    assert replay.status_code == 200
    assert "already confirmed" in replay.text
    assert _preferences_in(replay.text) == []


def test_an_old_confirmation_link_does_not_confirm_a_later_signup_after_leaving(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "ann@example.com")
    old = _confirmation(smtp_server)
    web.post(old)
    unsubscribe = _newest(smtp_server, "unsubscribe")
    web.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    sign_up(web, "ann@example.com")  # comes back: pending again, a new confirmation mailed
    assert subscriber(mail_app, "ann@example.com").status == SubscriberStatus.PENDING
    answer = web.post(old)
    assert answer.status_code == 400
    assert subscriber(mail_app, "ann@example.com").status == SubscriberStatus.PENDING
    # The link of the new signup does confirm it.
    assert web.post(_confirmation(smtp_server)).status_code == 200
    assert subscriber(mail_app, "ann@example.com").status == SubscriberStatus.ACTIVE


def test_log_out_of_all_links_revokes_them_but_unsubscribe_still_stops_mail(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "ann@example.com")
    confirmed = web.post(_confirmation(smtp_server))
    [preferences] = set(_preferences_in(confirmed.text))
    unsubscribe = _newest(smtp_server, "unsubscribe")  # in the lesson 1 email
    page = web.get(preferences)
    assert "Log me out of all links" in page.text
    answer = web.post(f"{preferences}/log-out", data={"csrf_token": csrf_token(page.text)})
    assert answer.status_code == 200 and "logged out of all links" in answer.text
    # Every link mailed before is off: the preferences page, its data download.
    assert web.get(preferences).status_code == 400
    assert web.get(f"{preferences}/data.json").status_code == 400
    # A fresh link came by email, and it works.
    fresh = _newest(smtp_server, "preferences")
    assert fresh != preferences and web.get(fresh).status_code == 200
    # The old unsubscribe link still stops mail, but opens nothing else.
    left = web.post(unsubscribe, data={"scope": "all"})
    assert left.status_code == 200
    assert subscriber(mail_app, "ann@example.com").status == SubscriberStatus.UNSUBSCRIBED
    assert _preferences_in(left.text) == []


def test_erasure_switches_off_every_link_and_one_click_still_answers(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    sign_up(web, "ann@example.com")
    confirmed = web.post(_confirmation(smtp_server))
    [preferences] = set(_preferences_in(confirmed.text))
    unsubscribe = _newest(smtp_server, "unsubscribe")
    page = web.get(f"{preferences}/delete")
    web.post(f"{preferences}/delete", data={"csrf_token": csrf_token(page.text)})
    assert subscriber(mail_app, "ann@example.com") is None
    assert web.get(preferences).status_code == 400
    assert web.get(unsubscribe).status_code == 400
    one_click = web.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
