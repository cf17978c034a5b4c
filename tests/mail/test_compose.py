"""compose(): the whole message for each kind, with real signed links and real models."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from service import tokens
from service.course.importer import import_lessons
from service.extensions import db
from service.mail.compose import compose
from service.mail.transport import open_transport
from service.models import Delivery, Lesson, LessonRevision, MessageKind, Subscriber
from tests.smtp_server import SMTPServer

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
CONFIG: dict[str, Any] = {
    "SECRET_KEY": "test-secret-key",
    "BASE_URL": "http://localhost",
    "MAIL_FROM": "Calm Hands Massage <hello@calmhands.example>",
    "MAIL_UNSUBSCRIBE_MAILTO": None,
    "CLINIC_NAME": "Calm Hands Massage",
    "CLINIC_POSTAL_ADDRESS": "12 Elm Street, Springfield, IL 62701",
    "CLINIC_PHONE": "(217) 555-0134",
    "CLINIC_BOOKING_URL": "https://calmhands.example/book",
}


def subscriber(first_name: str = "Maria") -> Subscriber:
    return Subscriber(
        id=7, public_id="a" * 32, email="maria@example.com", first_name=first_name,
        timezone="America/Chicago",
    )


def revision() -> LessonRevision:
    lesson = Lesson(id=3, slug="what-is-sciatica", position=1)
    return LessonRevision(
        id=41, number=2, lesson=lesson, subject="What sciatica is, in plain words",
        preheader="Welcome!", delay_days=1, body="## Welcome\n\nThank you for joining.\n",
        sources=["NHS. Sciatica. https://www.nhs.uk/conditions/sciatica/"], content_hash="h41",
    )


def make(kind: MessageKind, first_name: str = "Maria", **config: Any) -> EmailMessage:
    delivery = Delivery(id=1, subscriber_id=7, kind=kind)
    message = compose(delivery, subscriber(first_name), revision(), {**CONFIG, **config}, NOW)
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def token_in(url: str, path: str) -> str:
    match = re.search(rf"http://localhost/{path}/([\w.-]+)", url)
    assert match, url
    return match.group(1)


def test_lesson_mail_carries_one_click_unsubscribe_for_this_subscriber() -> None:
    message = make(MessageKind.LESSON)
    header = message["List-Unsubscribe"]
    token = token_in(header, "unsubscribe")
    assert tokens.read_token("test-secret-key", tokens.UNSUBSCRIBE, token) == "a" * 32
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "Calm Hands Massage <course.calmhands.example>"
    assert message["Subject"] == "What sciatica is, in plain words"
    assert message["Date"] == "Sat, 21 Nov 2026 15:00:00 +0000"
    text, html = parts(message)
    assert f"http://localhost/unsubscribe/{token}" in text
    assert f'href="http://localhost/unsubscribe/{token}"' in html
    assert "Hi Maria," in text and "Thank you for joining." in html


def test_mailto_is_added_when_configured() -> None:
    message = make(MessageKind.LESSON, MAIL_UNSUBSCRIBE_MAILTO="unsubscribe@calmhands.example")
    assert message["List-Unsubscribe"].endswith(", <mailto:unsubscribe@calmhands.example>")


def test_confirmation_is_transactional_but_keeps_the_footer() -> None:
    message = make(MessageKind.CONFIRMATION)
    assert message["List-Unsubscribe"] is None and message["List-Id"] is None
    text, html = parts(message)
    token = token_in(text, "confirm")
    assert tokens.read_token("test-secret-key", tokens.CONFIRM, token) == "a" * 32
    assert f'href="http://localhost/confirm/{token}"' in html
    for part in (text, html):
        assert "12 Elm Street, Springfield, IL 62701" in part
        assert "not medical advice" in part
        assert "http://localhost/unsubscribe/" in part


def test_already_subscribed_points_to_preferences() -> None:
    message = make(MessageKind.ALREADY_SUBSCRIBED, first_name="")
    assert message["List-Unsubscribe"] is None
    text, _ = parts(message)
    assert text.startswith("Hi there,")
    token = token_in(text.split("Open my preferences:")[1], "preferences")
    assert tokens.read_token("test-secret-key", tokens.PREFERENCES, token) == "a" * 32


def test_a_hostile_first_name_adds_no_header_and_shows_escaped() -> None:
    message = make(MessageKind.LESSON, first_name="Eve\r\nBcc: all@example.com <script>")
    assert message["Bcc"] is None
    assert [a.addr_spec for a in message["To"].addresses] == ["maria@example.com"]
    _, html = parts(message)
    assert "<script>" not in html
    assert "Hi Eve Bcc: all@example.com &lt;script&gt;," in html


def test_kinds_it_cannot_build_are_refused() -> None:
    delivery = Delivery(id=5, subscriber_id=7, kind=MessageKind.LESSON)
    with pytest.raises(ValueError, match="needs a revision"):
        compose(delivery, subscriber(), None, CONFIG, NOW)
    delivery.kind = MessageKind.NEWSLETTER
    with pytest.raises(ValueError, match="newsletter"):
        compose(delivery, subscriber(), None, CONFIG, NOW)


def test_composed_mail_arrives_intact_over_smtp(smtp_server: SMTPServer) -> None:
    delivery = Delivery(id=1, subscriber_id=7, kind=MessageKind.LESSON)
    sent = compose(delivery, subscriber(), revision(), CONFIG, NOW)
    with open_transport({"SMTP_URL": smtp_server.url}) as transport:
        transport.send(sent)
    (received,) = smtp_server.messages_to("maria@example.com")
    assert received["Message-ID"] == sent.message_id
    assert received["List-Unsubscribe"] == sent.parsed()["List-Unsubscribe"]
    assert [p.get_content_type() for p in received.iter_parts()] == ["text/plain", "text/html"]


def test_a_lesson_from_the_database_knows_its_place_in_the_course(app: Flask) -> None:
    with app.app_context():
        import_lessons(db.session, ROOT / "lessons", NOW)
        db.session.commit()
        lessons = db.session.scalars(select(Lesson).order_by(Lesson.position)).all()
        doctor = next(lesson for lesson in lessons if lesson.slug == "when-to-see-a-doctor")
        delivery = Delivery(id=1, subscriber_id=7, kind=MessageKind.LESSON)
        config = {**CONFIG, "BASE_URL": "http://localhost"}
        text, html = parts(email.message_from_bytes(
            compose(delivery, subscriber(), doctor.published, config, NOW).raw,
            policy=email.policy.default))  # type: ignore[arg-type]
        text = text.replace("\r\n", "\n")
        assert re.match(r"Lesson 10 of 11 · about \d+ minutes to read\n\nHi Maria,", text)
        assert f"Next: {lessons[10].published.subject}" in text  # type: ignore[union-attr]
        # A lesson added later makes the course longer for the very next message.
        db.session.add(Lesson(slug="extra", position=12, created_at=NOW, published_number=1,
                              revisions=[LessonRevision(
                                  number=1, subject="One more", body="Text.", sources=[],
                                  content_hash="x", created_at=NOW)]))
        db.session.commit()
        last = lessons[10].published
        text, _ = parts(email.message_from_bytes(
            compose(delivery, subscriber(), last, config, NOW).raw,
            policy=email.policy.default))  # type: ignore[arg-type]
        assert text.startswith("Lesson 11 of 12") and "Next: One more" in text
