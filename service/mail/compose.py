"""Turn one outbox row into the message to send: content, layout, links and headers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from service import links
from service.mail import message as headers
from service.mail.message import Outgoing
from service.mail.render import ClinicSettings, Content, Personal, personalise, render_lesson
from service.mail.render import cached as cached_render


def confirmation_content(clinic_name: str) -> Content:
    """The double opt-in email."""
    return Content(
        name="confirmation",
        template="confirmation.mjml",
        subject="Please confirm your email for the sciatica course",
        preheader="One click and your first lesson is on its way.",
        body=(
            "Thank you for signing up for the free email course on sciatica from "
            f"{clinic_name}.\n\n"
            "Please confirm that this is your email address. Tap the button below."
        ),
        action_label="Confirm my email",
        after=(
            "This link works for 7 days. "
            "If you did not sign up, you can ignore this email. You will not get any more "
            "emails from us."
        ),
        footer_reason="You get this email because someone signed up with this address.",
    )


def already_subscribed_content(clinic_name: str) -> Content:
    """Sent instead of a second confirmation, so the signup form never reveals who is listed."""
    return Content(
        name="already_subscribed",
        template="already_subscribed.mjml",
        subject="You are already signed up",
        preheader="No need to sign up again. Here is how to change your settings.",
        body=(
            f"Someone, probably you, tried to sign up for the sciatica course from {clinic_name} "
            "with this email address. You are already on our list, so nothing has changed.\n\n"
            "To change when you get emails, pause them, or stop them, open your preferences."
        ),
        action_label="Open my preferences",
        after="If this was not you, you can ignore this email.",
        footer_reason="You get this email because this address is on our list.",
    )


def newsletter_content(subject: str, preheader: str, body: str) -> Content:
    """A newsletter issue (Markdown body) in the newsletter layout, with a booking button."""
    return Content(
        name=f"newsletter {subject!r}",
        template="newsletter.mjml",
        subject=subject,
        preheader=preheader,
        body=body,
        action_label="Book a visit",
        action_url="{booking_url}",
        footer_reason="You get this email because you asked for our newsletter.",
    )


def compose(
    delivery: Any, subscriber: Any, revision: Any, config: Mapping[str, Any], now: datetime
) -> Outgoing:
    """The message to send for one delivery (kinds: confirmation, already_subscribed, lesson)."""
    settings = ClinicSettings.from_config(config)
    kind = str(delivery.kind)
    public_id = subscriber.public_id
    unsubscribe = links.unsubscribe_url(config, public_id)
    preferences = links.preferences_url(config, public_id)
    list_unsubscribe = list_id = None
    if kind == "confirmation":
        rendered = cached_render(("confirmation",), confirmation_content(settings.name), settings)
        action = links.confirm_url(config, public_id)
    elif kind == "already_subscribed":
        content = already_subscribed_content(settings.name)
        rendered = cached_render(("already_subscribed",), content, settings)
        action = preferences
    elif kind == "lesson":
        if revision is None:
            raise ValueError(f"delivery {delivery.id}: a lesson message needs a revision")
        rendered = render_lesson(revision.lesson.slug, revision, settings)
        action = ""
        list_unsubscribe = headers.list_unsubscribe_header(
            unsubscribe, config.get("MAIL_UNSUBSCRIBE_MAILTO")
        )
        list_id = headers.list_id_header(settings.name, config["MAIL_FROM"], "course")
    else:
        raise ValueError(f"delivery {delivery.id}: cannot compose a {kind!r} message yet")
    page, text = personalise(
        rendered, Personal(subscriber.first_name or "", unsubscribe, preferences, action)
    )
    return headers.build_message(
        mail_from=config["MAIL_FROM"],
        to=headers.recipient(subscriber.email, subscriber.first_name),
        subject=rendered.subject,
        text=text,
        html=page,
        now=now,
        list_unsubscribe=list_unsubscribe,
        list_id=list_id,
    )


SAMPLE_NAME = "Maria"
SAMPLE_ID = "preview"  # real public ids are 32 hex digits, so these links open nobody's page


def lesson_sample(
    revision: Any, config: Mapping[str, Any], first_name: str = SAMPLE_NAME
) -> tuple[str, str, str]:
    """(subject, html, text) of a lesson revision as a subscriber gets it, for a sample
    person: the admin's preview and test sends (the same render and slots as compose)."""
    settings = ClinicSettings.from_config(config)
    rendered = render_lesson(revision_slug(revision), revision, settings)
    personal = Personal(first_name, links.unsubscribe_url(config, SAMPLE_ID),
                        links.preferences_url(config, SAMPLE_ID))
    page, text = personalise(rendered, personal)
    return rendered.subject, page, text


def revision_slug(revision: Any) -> str:
    """The slug of a stored revision's lesson, or of an unsaved one that carries `slug`."""
    lesson = getattr(revision, "lesson", None)
    return str(lesson.slug if lesson is not None else getattr(revision, "slug", "draft"))


def compose_test(to_address: str, revision: Any, config: Mapping[str, Any],
                 now: datetime) -> Outgoing:
    """A staff member's test of a lesson revision: the subscriber's email, sample links."""
    subject, page, text = lesson_sample(revision, config)
    return headers.build_message(
        mail_from=config["MAIL_FROM"],
        to=headers.recipient(to_address, None),
        subject=f"[Test] {subject}",
        text=text,
        html=page,
        now=now,
    )
