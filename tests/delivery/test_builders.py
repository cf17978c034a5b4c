"""The builders: the whole message for each kind of row, with real signed links and models."""

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
from service.course.outline import course_places
from service.delivery.builders import Batch, Env, build, refusal
from service.extensions import db
from service.mail import render as render_module
from service.mail.message import Outgoing
from service.mail.transport import open_transport
from service.models import (
    Delivery,
    Lesson,
    LessonRevision,
    MessageKind,
    NewsletterIssue,
    Subscriber,
    SubscriberStatus,
)
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


def issue() -> NewsletterIssue:
    return NewsletterIssue(id=5, subject="Spring news", preheader="Longer evenings",
                           body="## New hours\n\nWe now open at 8.\n")


def batch(first_name: str = "Maria") -> Batch:
    person = subscriber(first_name)
    person.status = SubscriberStatus.ACTIVE
    person.newsletter_enabled = True
    return Batch(people={7: person}, revisions={3: revision()}, drafts={41: revision()},
                 issues={5: issue()})


def compose(delivery: Delivery, contents: Batch, config: dict[str, Any]) -> Outgoing:
    return build(delivery, contents, Env.from_config(config, NOW)).message


def make(kind: MessageKind, first_name: str = "Maria", **config: Any) -> EmailMessage:
    delivery = Delivery(id=1, subscriber_id=7, kind=kind, lesson_id=3, newsletter_issue_id=5)
    message = compose(delivery, batch(first_name), {**CONFIG, **config})
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


def test_newsletter_is_list_mail_of_its_own_list() -> None:
    message = make(MessageKind.NEWSLETTER)
    assert message["Subject"] == "Spring news"
    assert message["List-Id"] == "Calm Hands Massage <newsletter.calmhands.example>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert "We now open at 8." in text and "https://calmhands.example/book" in html


def test_an_issue_renders_once_and_each_recipient_gets_their_own_name_and_links(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renders: list[str] = []
    real_render = render_module.render

    def counted(content: Any, settings: Any) -> Any:
        renders.append(content.name)
        return real_render(content, settings)

    monkeypatch.setattr(render_module, "render", counted)
    contents = batch()
    contents.issues[5].body = "## New hours\n\nWe now open at 8 on Saturdays.\n"  # not cached yet
    people = [("Maria", "a" * 32), ("Sam", "b" * 32), ("", "c" * 32)]
    for number, (name, public_id) in enumerate(people, start=10):
        contents.people[number] = Subscriber(
            id=number, public_id=public_id, email=f"p{number}@example.com", first_name=name,
            timezone="America/Chicago", status=SubscriberStatus.ACTIVE, newsletter_enabled=True)
    env = Env.from_config(CONFIG, NOW)
    messages = [build(Delivery(id=n, subscriber_id=n, kind=MessageKind.NEWSLETTER,
                               newsletter_issue_id=5), contents, env).message
                for n in range(10, 13)]

    assert renders == ["newsletter 'Spring news'"]  # one render for the whole issue
    for sent, (name, public_id) in zip(messages, people, strict=True):
        message = sent.parsed()
        token = token_in(message["List-Unsubscribe"], "unsubscribe/newsletter")
        assert tokens.read_token("test-secret-key", tokens.UNSUBSCRIBE_NEWSLETTER,
                                 token) == public_id
        text, html = parts(message)
        greeting = f"Hi {name}," if name else "Hi there,"
        assert greeting in text and greeting in html
        assert f"http://localhost/unsubscribe/newsletter/{token}" in text
        assert f'href="http://localhost/unsubscribe/newsletter/{token}"' in html
        assert "We now open at 8 on Saturdays." in text
        assert sent.raw.isascii() and max(map(len, sent.raw.split(b"\r\n"))) <= 998


def test_a_test_send_goes_to_the_staff_address_marked_as_a_test() -> None:
    delivery = Delivery(id=2, subscriber_id=None, to_address="editor@calmhands.example",
                        kind=MessageKind.TEST, revision_id=41)
    message = compose(delivery, batch(), CONFIG).parsed()
    assert str(message["To"]) == "editor@calmhands.example"
    assert message["Subject"] == "[Test] What sciatica is, in plain words"
    assert message["List-Unsubscribe"] is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, None),
        ({"status": SubscriberStatus.UNSUBSCRIBED}, ("cancelled", "unsubscribed")),
        ({"status": SubscriberStatus.SUPPRESSED}, ("suppressed", "address suppressed")),
        ({"status": SubscriberStatus.PENDING}, ("cancelled", "subscriber is pending")),
    ],
)
def test_refusal_of_a_lesson_row(change: dict[str, Any], expected: object) -> None:
    contents = batch()
    for name, value in change.items():
        setattr(contents.people[7], name, value)
    delivery = Delivery(id=3, subscriber_id=7, kind=MessageKind.LESSON, lesson_id=3)
    assert refusal(delivery, contents) == expected


def test_an_unpublished_lesson_or_a_newsletter_turned_off_is_not_sent() -> None:
    contents = batch()
    lesson = Delivery(id=3, subscriber_id=7, kind=MessageKind.LESSON, lesson_id=99)
    assert refusal(lesson, contents) == ("cancelled", "lesson no longer published")
    contents.people[7].newsletter_enabled = False
    newsletter = Delivery(id=4, subscriber_id=7, kind=MessageKind.NEWSLETTER,
                          newsletter_issue_id=5)
    assert refusal(newsletter, contents) == ("cancelled", "newsletter turned off")
    contents.suppressed.add("maria@example.com")
    assert refusal(lesson, contents) == ("suppressed", "address suppressed")


def test_a_kind_without_a_builder_is_refused() -> None:
    delivery = Delivery(id=5, subscriber_id=7, kind="postcard")
    with pytest.raises(ValueError, match="no builder"):
        compose(delivery, batch(), CONFIG)


def test_composed_mail_arrives_intact_over_smtp(smtp_server: SMTPServer) -> None:
    delivery = Delivery(id=1, subscriber_id=7, kind=MessageKind.LESSON, lesson_id=3)
    sent = compose(delivery, batch(), CONFIG)
    with open_transport(smtp_server.url, "unused", timeout=5) as transport:
        transport.send(sent)
    (received,) = smtp_server.messages_to("maria@example.com")
    assert received["Message-ID"] == sent.message_id
    assert received["List-Unsubscribe"] == sent.parsed()["List-Unsubscribe"]
    assert [p.get_content_type() for p in received.iter_parts()] == ["text/plain", "text/html"]


def test_a_lesson_from_the_database_knows_its_place_in_the_course(app: Flask) -> None:
    with app.app_context():
        import_lessons(db.session(), ROOT / "lessons", NOW)
        db.session.commit()
        lessons = db.session.scalars(select(Lesson).order_by(Lesson.position)).all()
        config = {**CONFIG, "BASE_URL": "http://localhost"}

        def text_of(lesson: Lesson) -> str:
            assert lesson.published is not None
            contents = batch()
            contents.revisions = {lesson.id: lesson.published}
            contents.places = course_places(db.session())  # as preparing.load reads them
            delivery = Delivery(id=1, subscriber_id=7, kind=MessageKind.LESSON,
                                lesson_id=lesson.id)
            message = email.message_from_bytes(compose(delivery, contents, config).raw,
                                               policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            return parts(message)[0].replace("\r\n", "\n")

        doctor = next(lesson for lesson in lessons if lesson.slug == "when-to-see-a-doctor")
        text = text_of(doctor)
        assert re.match(r"Lesson 10 of 11 · about \d+ minutes to read\n\nHi Maria,", text)
        assert f"Next: {lessons[10].published.subject}" in text  # type: ignore[union-attr]
        # A lesson added later makes the course longer for the very next message.
        db.session.add(Lesson(slug="extra", position=12, created_at=NOW, published_number=1,
                              revisions=[LessonRevision(
                                  number=1, subject="One more", body="Text.", sources=[],
                                  content_hash="x", created_at=NOW)]))
        db.session.commit()
        text = text_of(lessons[10])
        assert text.startswith("Lesson 11 of 12") and "Next: One more" in text
