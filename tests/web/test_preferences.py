"""The preferences page: change, pause, restart, download my data, delete me."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.extensions import db
from service.models import Consent, Delivery, Enrolment, Erasure, Subscriber
from tests.smtp_server import SMTPServer
from tests.web.conftest import csrf_token, link_in, sign_up


def _preferences_path(web: FlaskClient, smtp_server: SMTPServer) -> str:
    """Sign up and confirm Ann; lesson 1 has gone out. Return her preferences path."""
    sign_up(web, "ann@example.com")
    done = web.post(link_in(smtp_server.messages_to("ann@example.com")[0], "confirm"))
    return re.search(r'href="(/preferences/[^"]+)"', done.text).group(1)


def _ann(app: Flask) -> tuple[Subscriber, Enrolment]:
    with app.app_context():
        row = db.session.scalar(select(Subscriber).where(Subscriber.email == "ann@example.com"))
        enrolment = db.session.get(Enrolment, row.id)
        db.session.expunge_all()
        return row, enrolment


def _selected(page: str, name: str) -> str:
    """The value of the selected option in the <select> called `name`."""
    block = re.search(rf'<select id="{name}".*?</select>', page, re.S).group(0)
    return re.search(r'<option value="([^"]+)" selected>', block).group(1)


def _form(page: str, **changes: str | None) -> dict[str, str]:
    """What the browser would send: the current values, with `changes` (None = unticked)."""
    data = {"csrf_token": csrf_token(page), "first_name": "Ann",
            "timezone": _selected(page, "timezone"), "send_hour": _selected(page, "send_hour")}
    for box in ("course_enabled", "newsletter_enabled", "weekdays_only"):
        if re.search(rf'id="{box}" name="{box}" value="yes" checked', page):
            data[box] = "yes"
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_the_page_shows_the_current_settings(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    page = web.get(_preferences_path(web, smtp_server))
    assert page.status_code == 200
    # The clinic's zone, readable; the hour as a US clinic writes it.
    assert '<option value="America/Chicago" selected>Central Time (Chicago)</option>' in page.text
    assert re.search(r'<option value="9" selected>9\sAM</option>', page.text)
    assert "Lesson 1 of 11 done. Next: lesson 2, tomorrow at 9" in page.text
    for field in ("first_name", "timezone", "send_hour", "course_enabled"):
        assert f'<label for="{field}">' in page.text
    assert page.headers["Referrer-Policy"] == "same-origin"  # the token never leaves the site
    leave = re.search(r'href="(/unsubscribe/[^"]+)"', page.text).group(1)
    assert 'name="scope"' in web.get(leave).text


def test_changing_the_hour_and_zone_moves_the_next_lesson(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _preferences_path(web, smtp_server)
    page = web.get(path).text
    saved = web.post(path, data=_form(page, timezone="Europe/Paris", send_hour="7",
                                      newsletter_enabled="yes", first_name=" Annie "))
    assert saved.status_code == 303
    shown = web.get(saved.headers["Location"])
    assert "Your preferences are saved" in shown.text
    ann, enrolment = _ann(mail_app)
    assert (ann.timezone, ann.send_hour, ann.first_name) == ("Europe/Paris", 7, "Annie")
    assert ann.newsletter_enabled
    local = enrolment.next_due_at.astimezone(ZoneInfo("Europe/Paris"))
    assert (local.hour, local.minute) == (7, 0)


def test_pause_until_i_resume_then_resume(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _preferences_path(web, smtp_server)
    token = {"csrf_token": csrf_token(web.get(path).text)}
    paused = web.post(f"{path}/pause", data={**token, "for": "resume"})
    assert paused.status_code == 303
    page = web.get(paused.headers["Location"]).text
    assert "Paused: lesson 2 waits until you resume." in page and ">Resume</button>" in page
    ann, enrolment = _ann(mail_app)
    assert ann.paused and enrolment.next_due_at is None
    web.post(path, data=_form(page, send_hour="8"))  # saving the form keeps the pause
    assert _ann(mail_app)[0].paused
    web.post(f"{path}/resume", data=token)
    ann, enrolment = _ann(mail_app)
    assert not ann.paused and enrolment.next_due_at is not None
    assert "Pause for a week" in web.get(path).text


def test_pause_for_a_week_holds_the_next_lesson_until_then(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _preferences_path(web, smtp_server)
    before = _ann(mail_app)[1].next_due_at
    web.post(f"{path}/pause", data={"csrf_token": csrf_token(web.get(path).text), "for": "week"})
    ann, enrolment = _ann(mail_app)
    assert not ann.paused and ann.paused_until is not None
    local = enrolment.next_due_at.astimezone(ZoneInfo("America/Chicago"))
    assert enrolment.next_due_at >= ann.paused_until and (local.hour, local.minute) == (9, 0)
    assert (enrolment.next_due_at - before).days == 6  # a week on from tomorrow's lesson
    page = web.get(path).text
    assert "Paused until " in page and ">Resume</button>" in page


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("send_hour", "25", "between 0 and 23"),
        ("timezone", "Mars/Olympus_Mons", "time zone"),
        ("first_name", "<script>alert(1)</script>", "&lt; and &gt;"),
        ("first_name", "Ann\r\nBcc: x@example.com", "line breaks"),
    ],
)
def test_invalid_values_save_nothing(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer, field: str, value: str,
    says: str,
) -> None:
    path = _preferences_path(web, smtp_server)
    before = _ann(mail_app)
    answer = web.post(path, data=_form(web.get(path).text, **{"send_hour": "6", field: value}))
    assert answer.status_code == 400
    assert says in answer.text and "Nothing was saved" in answer.text
    assert "<script>alert" not in answer.text
    after = _ann(mail_app)
    assert after[0].send_hour == before[0].send_hour == 9
    assert after[1].next_due_at == before[1].next_due_at


def test_saving_without_the_csrf_token_is_refused(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _preferences_path(web, smtp_server)
    data = _form(web.get(path).text, send_hour="6", csrf_token=None)
    assert web.post(path, data=data).status_code == 400
    assert _ann(mail_app)[0].send_hour == 9


def test_restart_starts_again_from_lesson_one(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _preferences_path(web, smtp_server)
    assert _ann(mail_app)[1].last_position_sent == 1
    answer = web.post(f"{path}/restart", data={"csrf_token": csrf_token(web.get(path).text)})
    assert answer.status_code == 303
    assert "starts again from lesson 1" in web.get(answer.headers["Location"]).text
    enrolment = _ann(mail_app)[1]
    # Lesson 1 of the new round was queued by the request and sent by the worker's pass.
    assert (enrolment.round, enrolment.last_position_sent) == (2, 1)
    subjects = [m["Subject"] for m in smtp_server.messages_to("ann@example.com")]
    assert subjects[-1] == subjects[1]  # [confirmation, lesson 1, lesson 1 again]


def test_download_my_data(mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer) -> None:
    path = _preferences_path(web, smtp_server)
    answer = web.get(f"{path}/data.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert "attachment" in answer.headers["Content-Disposition"]
    data = answer.json
    assert data["subscriber"]["email"] == "ann@example.com"
    assert data["subscriber"]["status"] == "active"
    assert data["consents"][0]["form"] == "signup-page"
    assert data["consents"][0]["confirmed_at"] is not None
    kinds = [(d["kind"], d["lesson"], d["revision"], d["status"]) for d in data["deliveries"]]
    assert kinds[0] == ("confirmation", None, None, "sent")
    assert kinds[1][0] == "lesson" and kinds[1][2] == 1 and kinds[1][3] == "sent"
    assert data["deliveries"][1]["sent_at"]


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_delete_me_erases_everything_but_a_count(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _preferences_path(web, smtp_server)
    unsubscribe = link_in(smtp_server.messages_to("ann@example.com")[-1], "unsubscribe")
    ask = web.get(f"{path}/delete")
    assert ask.status_code == 200 and "cannot be undone" in ask.text
    assert _count(mail_app, Subscriber) == 1  # asking deletes nothing
    done = web.post(f"{path}/delete", data={"csrf_token": csrf_token(ask.text)})
    assert done.status_code == 200 and "Deleted" in done.text
    for model in (Subscriber, Consent, Delivery, Enrolment):
        assert _count(mail_app, model) == 0, model
    with mail_app.app_context():
        [erasure] = db.session.scalars(select(Erasure)).all()
        assert erasure.deliveries_erased == 2
    gone = web.get(path)
    assert gone.status_code == 400 and "no longer works" in gone.text
    provider = mail_app.test_client(use_cookies=False)
    late = provider.post(unsubscribe, data=b"List-Unsubscribe=One-Click",
                         content_type="application/x-www-form-urlencoded")
    assert late.status_code == 200


def test_an_unsubscribed_person_sees_the_way_back(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _preferences_path(web, smtp_server)
    unsubscribe = link_in(smtp_server.messages_to("ann@example.com")[-1], "unsubscribe")
    web.post(unsubscribe, data={"scope": "all"})
    page = web.get(path).text
    assert "You are unsubscribed" in page and "subscribe-again" in page
    assert "Restart the course" not in page


def test_a_week_long_pause_is_honoured_by_dispatch(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _preferences_path(web, smtp_server)
    usual = _ann(mail_app)[1].next_due_at  # lesson 2, tomorrow at 9
    web.post(f"{path}/pause", data={"csrf_token": csrf_token(web.get(path).text), "for": "week"})
    ann, enrolment = _ann(mail_app)
    runner = mail_app.test_cli_runner()
    sent = len(smtp_server.messages_to("ann@example.com"))
    for moment in (usual, ann.paused_until, enrolment.next_due_at):
        result = runner.invoke(args=["dispatch", "--now", moment.isoformat()])
        assert result.exit_code == 0, result.output
        if moment < enrolment.next_due_at:
            assert len(smtp_server.messages_to("ann@example.com")) == sent, moment
    assert len(smtp_server.messages_to("ann@example.com")) == sent + 1  # lesson 2, on time


def test_a_zone_outside_the_list_is_kept_and_shown(
    mail_app: Flask, web: FlaskClient, smtp_server: SMTPServer
) -> None:
    path = _preferences_path(web, smtp_server)
    with mail_app.app_context():
        row = db.session.scalar(select(Subscriber).where(Subscriber.email == "ann@example.com"))
        row.timezone = "US/Eastern"  # e.g. from a CSV import: valid, but not one we list
        db.session.commit()
    page = web.get(path).text
    assert '<option value="US/Eastern" selected>US/Eastern (your current setting)</option>' in page
    assert web.post(path, data=_form(page, send_hour="8")).status_code == 303
    ann, _ = _ann(mail_app)
    assert (ann.timezone, ann.send_hour) == ("US/Eastern", 8)
