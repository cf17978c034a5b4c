"""The patient page's timeline says exactly when `dispatch --now` will send each lesson."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.extensions import db
from service.models import Delivery, Lesson, MessageKind
from tests.delivery.factories import add_subscriber

# A Thursday evening in Chicago; the course then crosses the start of daylight saving time
# (14 March 2027), and weekends are off.
CONFIRMED = datetime(2027, 3, 4, 23, 30, tzinfo=UTC)
ROW = re.compile(
    r'<tr><td class="num">(\d+)</td><td>[^<]*</td>\s*<td><time datetime="([^"]+)">([^<]+)</time>'
)


def timeline_of(client: FlaskClient, subscriber_id: int) -> list[tuple[int, datetime, str]]:
    page = client.get(f"/admin/subscribers/{subscriber_id}").text
    if '<table id="timeline">' not in page:
        return []
    table = page.split('<table id="timeline">', 1)[1].split("</table>", 1)[0]
    return [(int(p), datetime.fromisoformat(at), shown) for p, at, shown in ROW.findall(table)]


def dispatch(app: Flask, at: datetime) -> None:
    result = app.test_cli_runner().invoke(args=["dispatch", "--now", at.isoformat()])
    assert result.exit_code == 0, result.output


def lessons_sent(app: Flask, subscriber_id: int) -> list[tuple[int, datetime]]:
    with app.app_context():
        rows = db.session.execute(
            select(Lesson.position, Delivery.created_at)
            .join(Lesson, Lesson.id == Delivery.lesson_id)
            .where(Delivery.subscriber_id == subscriber_id, Delivery.kind == MessageKind.LESSON,
                   Delivery.status == "sent")
            .order_by(Lesson.position)
        ).all()
        return [(p, at) for p, at in rows]


def test_each_lesson_goes_when_the_timeline_says(admin_app: Flask, editor: FlaskClient) -> None:
    with admin_app.app_context():
        subscriber = add_subscriber(db.session, "kim@example.com", CONFIRMED, send_hour=7,
                                    weekdays_only=True)
        subscriber_id = subscriber.id
        course = db.session.scalar(select(func.count()).select_from(Lesson))
        db.session.commit()
    dispatch(admin_app, CONFIRMED)  # lesson 1 right after confirming
    assert [p for p, _ in lessons_sent(admin_app, subscriber_id)] == [1]

    plan = timeline_of(editor, subscriber_id)
    assert [p for p, _, _ in plan] == list(range(2, course + 1))
    # Lesson 2: Friday 07:00 in Chicago (CST, UTC-6); after the weekend comes Monday.
    assert plan[0][2] == "Fri 5 Mar 2027, 07:00 CST"
    assert all(at.astimezone(UTC).weekday() < 5 for _, at, _ in plan)
    assert any("CDT" in shown for _, _, shown in plan)  # daylight time is accounted for

    for position, at, _ in plan:
        dispatch(admin_app, at - timedelta(minutes=1))
        assert lessons_sent(admin_app, subscriber_id)[-1][0] == position - 1, "sent early"
        dispatch(admin_app, at)
        assert lessons_sent(admin_app, subscriber_id)[-1] == (position, at)

    assert timeline_of(editor, subscriber_id) == []
    assert "the course is complete" in editor.get(f"/admin/subscribers/{subscriber_id}").text


def test_a_pause_clears_the_dates_and_a_resume_brings_them_back(
    admin_app: Flask, editor: FlaskClient
) -> None:
    from tests.web.admin.conftest import token_of

    now = datetime.now(UTC)
    with admin_app.app_context():
        subscriber = add_subscriber(db.session, "lee@example.com", now)
        subscriber_id = subscriber.id
        db.session.commit()
    dispatch(admin_app, now)
    assert timeline_of(editor, subscriber_id)
    token = token_of(editor)
    editor.post(f"/admin/subscribers/{subscriber_id}/pause", data={"csrf_token": token})
    page = editor.get(f"/admin/subscribers/{subscriber_id}").text
    assert timeline_of(editor, subscriber_id) == []
    assert "the course is paused" in page and "not scheduled" in page
    editor.post(f"/admin/subscribers/{subscriber_id}/resume", data={"csrf_token": token})
    resumed = timeline_of(editor, subscriber_id)
    assert resumed and resumed[0][0] == 2 and resumed[0][1] > now
