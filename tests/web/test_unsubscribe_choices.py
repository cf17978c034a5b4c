"""The unsubscribe page: whose address, pause instead, and the state that results."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient

from service.models import SubscriberStatus
from tests.smtp_server import SMTPServer
from tests.web.test_unsubscribe import _confirmed, _state


def test_the_page_names_the_address_and_offers_a_pause(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _confirmed(web, smtp_server)
    page = web.get(path).text
    assert "ann@example.com" in page
    for button in ("Stop all emails", "Leave the course only", "Pause for a week instead"):
        assert f">{button}</button>" in page


def test_pause_instead_holds_the_course_for_a_week(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _confirmed(web, smtp_server)
    page = web.post(path, data={"scope": "pause"})
    assert page.status_code == 200 and "Your course is paused" in page.text
    assert re.search(r"<dd>paused until \w+day \d+ \w+</dd>", page.text)
    assert ">Resume now</button>" in page.text
    ann, enrolment, _ = _state(mail_app, "ann@example.com")
    assert ann.status == SubscriberStatus.ACTIVE and ann.paused_until is not None
    local = enrolment.next_due_at.astimezone(ZoneInfo(ann.timezone))
    assert enrolment.next_due_at > ann.paused_until and local.hour == ann.send_hour


def test_after_leaving_the_course_the_page_shows_what_is_left(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _confirmed(web, smtp_server)
    page = web.post(path, data={"scope": "course"}).text
    assert "You have left the course" in page and "We send you nothing else either" in page
    assert "<dt>Course lessons</dt><dd>off</dd>" in page
    assert "<dt>Newsletter</dt><dd>off</dd>" in page
    assert ">Leave the course only</button>" not in page  # not the same choice again
    assert ">Stop all emails</button>" in page
    page = web.post(path, data={"scope": "all"}).text
    assert "You are unsubscribed" in page and "Subscribe again" in page
    assert _state(mail_app, "ann@example.com")[0].status == SubscriberStatus.UNSUBSCRIBED
