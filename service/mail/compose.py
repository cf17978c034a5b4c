"""The fixed emails' content, and one rendered content personalised into a message.

Mail code knows nothing of the outbox: service/delivery/builders.py picks the content
and the links for each kind of row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service import links
from service.mail import message as headers
from service.mail.message import Outgoing
from service.mail.render import (
    ClinicSettings,
    Content,
    Personal,
    Place,
    Rendered,
    personalise,
    personalise_quoted,
    render_lesson,
)


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


def newsletter_content(subject: str, preheader: str, body: str, web_url: str = "") -> Content:
    """A newsletter issue (Markdown body) in the newsletter layout, with a booking button and,
    given its archive address, a "read it in your browser" link (no personal link in it)."""
    return Content(
        name=f"newsletter {subject!r}",
        template="newsletter.mjml",
        subject=subject,
        preheader=preheader,
        body=body,
        action_label="Book a visit",
        action_url="{booking_url}",
        after=f"[Read this issue in your browser]({web_url})" if web_url else "",
        footer_reason="You get this email because you asked for our newsletter.",
    )


@dataclass(frozen=True)
class Addressee:
    """Who one message goes to, and their own links (signed, or placeholders for a test)."""

    email: str
    first_name: str
    unsubscribe_url: str
    preferences_url: str
    # The To display name when it is not the greeted name: a test send greets a sample
    # patient but goes to a staff address under no name.
    display_name: str | None = None


@dataclass(frozen=True)
class Sender:
    """The clinic as the sender of every message."""

    mail_from: str
    clinic_name: str
    unsubscribe_mailto: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Sender:
        return cls(config["MAIL_FROM"], config["CLINIC_NAME"],
                   config.get("MAIL_UNSUBSCRIBE_MAILTO") or None)


def assemble(
    rendered: Rendered, to: Addressee, sender: Sender, now: datetime, *,
    action_url: str = "", list_name: str | None = None, subject_prefix: str = "",
) -> Outgoing:
    """Personalise rendered content for one person and build the message to send.

    List mail (`list_name`, e.g. "course") carries List-Unsubscribe with one-click POST
    and a List-Id; a transactional message carries neither.
    """
    list_unsubscribe = list_id = None
    if list_name is not None:
        list_unsubscribe = headers.list_unsubscribe_header(
            to.unsubscribe_url, sender.unsubscribe_mailto
        )
        list_id = headers.list_id_header(sender.clinic_name, sender.mail_from, list_name)
    page, text = personalise_quoted(
        rendered, Personal(to.first_name, to.unsubscribe_url, to.preferences_url, action_url)
    )
    return headers.build_quoted(
        mail_from=sender.mail_from,
        to=headers.recipient(
            to.email, to.first_name if to.display_name is None else to.display_name),
        subject=subject_prefix + rendered.subject,
        text=text,
        html=page,
        now=now,
        list_unsubscribe=list_unsubscribe,
        list_id=list_id,
    )


SAMPLE_NAME = "Maria"
SAMPLE_ID = "preview"  # real public ids are 32 hex digits, so these links open nobody's page


def lesson_sample(
    revision: Any, config: Mapping[str, Any], first_name: str = SAMPLE_NAME,
    place: Place | None = None,
) -> tuple[str, str, str]:
    """(subject, html, text) of a lesson revision as a subscriber gets it, for a sample
    person: the admin's preview (the same render and slots as a delivery)."""
    settings = ClinicSettings.from_config(config)
    rendered = render_lesson(revision_slug(revision), revision, settings, place)
    personal = Personal(first_name, links.unsubscribe_url(config, SAMPLE_ID),
                        links.preferences_url(config, SAMPLE_ID))
    page, text = personalise(rendered, personal)
    return rendered.subject, page, text


def revision_slug(revision: Any) -> str:
    """The slug of a stored revision's lesson, or of an unsaved one that carries `slug`."""
    lesson = getattr(revision, "lesson", None)
    return str(lesson.slug if lesson is not None else getattr(revision, "slug", "draft"))

