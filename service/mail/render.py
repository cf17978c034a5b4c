"""Email bodies: Markdown -> HTML fragment -> MJML layout -> HTML, and a text part from the
Markdown. Rendered once per lesson revision; per-subscriber parts are filled in afterwards."""

from __future__ import annotations

import functools
import html
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from mjml import mjml2html

from service.mail import blocks, markdown
from service.mail.message import QuotedBody, clean_name
from service.mail.settings import (  # noqa: F401 - ClinicSettings, Place are imported from here
    IMAGES_DIR,
    TEMPLATES_DIR,
    ClinicSettings,
    Place,
    places,
)

SOURCE_URL = re.compile(r"\s*(https?://\S+?)[.,;]?$")

DISCLAIMER = (
    "This email is general information, not medical advice. "
    "It does not replace seeing a doctor."
)
# The emergency signs in one line; `lessons check` holds it to the complete list.
URGENT = (
    "Call 911 or go to the emergency room now if you have numbness between your legs or when "
    "you wipe, new trouble peeing or controlling your bladder or bowels, not feeling when you "
    "need to pee or poo, not being able to pee at all, new problems getting or keeping an "
    "erection, weakness in both legs, or a leg getting weaker fast."
)

# Stand-ins rendered into the cached output and replaced per subscriber. They cannot come
# from content: they are removed from every Markdown body before it is rendered.
GREETING = "MAILSLOT-greeting-5e1c"
UNSUBSCRIBE = "MAILSLOT-unsubscribe-5e1c"
PREFERENCES = "MAILSLOT-preferences-5e1c"
ACTION = "MAILSLOT-action-5e1c"
SLOTS = (GREETING, UNSUBSCRIBE, PREFERENCES, ACTION)


class RenderError(ValueError):
    """An email could not be rendered; the message names the lesson or template."""


@dataclass(frozen=True)
class Rendered:
    """A rendered email with slots still in it: render once, personalise many times."""

    subject: str
    html: str
    text: str

    @functools.cached_property
    def quoted(self) -> tuple[QuotedBody, QuotedBody]:
        """(html, text) quoted-printable encoded once, for every message made from it."""
        return QuotedBody.encode(self.html, SLOTS), QuotedBody.encode(self.text, SLOTS)


@dataclass(frozen=True)
class Personal:
    """The parts of an email that differ per subscriber."""

    first_name: str
    unsubscribe_url: str
    preferences_url: str
    action_url: str = ""


@dataclass(frozen=True)
class Content:
    """What one email says, before the layout."""

    name: str  # the lesson slug or the message kind, for error messages
    template: str  # file in email_templates/, e.g. "lesson.mjml"
    subject: str
    preheader: str
    body: str  # Markdown
    sources: tuple[str, ...] = ()
    action_label: str = ""
    action_url: str = ""  # "" for a per-subscriber ACTION slot
    after: str = ""  # Markdown shown after the button
    footer_reason: str = ""
    place: Place | None = None  # lessons only: "Lesson N of M", "Next: …"
    signoff: str = ""  # "Reviewed by NAME, CREDENTIALS, DATE" under a lesson, or ""


def _environment(templates_dir: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir), autoescape=True, undefined=StrictUndefined
    )


def _clean_markdown(body: str, settings: ClinicSettings) -> str:
    for slot in SLOTS:
        body = body.replace(slot, "")
    return markdown.fill_placeholders(body, settings.placeholder_values())


def _action_url(content: Content, settings: ClinicSettings) -> str:
    if not content.action_url:
        return ACTION  # per subscriber, e.g. the confirm link
    return markdown.fill_placeholders(content.action_url, settings.placeholder_values())


def source_link(source: str) -> tuple[str, str]:
    """(citation, URL) of a source line that ends with its URL; URL "" when it has none."""
    match = SOURCE_URL.search(source)
    if match is None:
        return source, ""
    citation = source[: match.start()].strip()
    return (citation or match.group(1)), match.group(1)


def top_line(place: Place, body: str) -> str:
    """"Lesson 3 of 11 · about 6 minutes to read" (at a slow reader's pace)."""
    minutes = max(1, round(markdown.reading_minutes(body)))
    return f"{place.label} · about {minutes} minute{'s' if minutes > 1 else ''} to read"


def render_mjml(content: Content, settings: ClinicSettings) -> str:
    """The MJML source of one email (Jinja fills the layout; values are escaped)."""
    body = _clean_markdown(content.body, settings)
    after = _clean_markdown(content.after, settings)
    template = _environment(settings.templates_dir).get_template(content.template)
    return template.render(
        subject=content.subject,
        preheader=content.preheader,
        clinic=settings,
        greeting_slot=GREETING,
        unsubscribe_slot=UNSUBSCRIBE,
        preferences_slot=PREFERENCES,
        body_html=Markup(blocks.to_html(body, settings.extras())),
        after_html=Markup(markdown.to_html(after)),
        sources=[source_link(source) for source in content.sources],
        action_label=content.action_label,
        action_url=_action_url(content, settings),
        disclaimer=DISCLAIMER,
        urgent=URGENT,
        footer_reason=content.footer_reason,
        place=content.place,
        top_line=top_line(content.place, body) if content.place else "",
        signoff=content.signoff,
    )


def render_text(content: Content, settings: ClinicSettings) -> str:
    """The plain-text part, made from the Markdown (not from the HTML)."""
    body = _clean_markdown(content.body, settings)
    parts = [GREETING, blocks.to_text(body, settings.extras())]
    if content.place:
        parts.insert(0, top_line(content.place, body))
    if content.action_label:
        parts.append(f"{content.action_label}:\n{_action_url(content, settings)}")
    if content.after:
        parts.append(markdown.to_text(_clean_markdown(content.after, settings)))
    if content.place and content.place.next_subject:
        parts.append(markdown.wrap(f"Next: {content.place.next_subject}"))
    if content.sources:
        listed = "\n".join(markdown.wrap(source, "- ", "  ") for source in content.sources)
        parts.append("Sources\n-------\n" + listed)
    if content.signoff:
        parts.append(markdown.wrap(content.signoff))
    footer = [
        "-- ",
        settings.name,
        settings.postal_address,
        settings.phone,
        "",
        markdown.wrap(DISCLAIMER),
        markdown.wrap(URGENT),
        "",
    ]
    if content.footer_reason:
        footer.append(markdown.wrap(content.footer_reason))
    footer += [f"Unsubscribe: {UNSUBSCRIBE}", f"Change your preferences: {PREFERENCES}"]
    parts.append("\n".join(footer))
    return "\n\n".join(parts) + "\n"


def render(content: Content, settings: ClinicSettings) -> Rendered:
    """Render one email with its slots in place; invalid MJML raises RenderError naming it."""
    try:
        source = render_mjml(content, settings)
        page = mjml2html(source, fonts={})
    except ValueError as error:
        raise RenderError(f"{content.name}: the email layout is not valid MJML: {error}") from error
    except Exception as error:  # Jinja: a missing or broken template file
        raise RenderError(f"{content.name}: cannot render {content.template}: {error}") from error
    return Rendered(content.subject, page, render_text(content, settings))


def lesson_content(slug: str, revision: Any, place: Place | None = None) -> Content:
    """The Content of a lesson revision (anything with subject, preheader, body, sources)."""
    return Content(
        name=f"lesson {slug!r}",
        template="lesson.mjml",
        subject=revision.subject,
        preheader=revision.preheader or "",
        body=revision.body,
        sources=tuple(revision.sources or ()),
        footer_reason="You get this email because you joined our course on sciatica.",
        place=place,
        signoff=getattr(revision, "signoff", "") or "",
    )


_cache: OrderedDict[tuple[Any, ...], Rendered] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 256


def cached(key: tuple[Any, ...], build: Content, settings: ClinicSettings) -> Rendered:
    """Render `build` once per key (plus settings); later calls reuse the result."""
    full_key = (*key, settings)
    with _cache_lock:
        if full_key in _cache:
            _cache.move_to_end(full_key)
            return _cache[full_key]
    rendered = render(build, settings)
    with _cache_lock:
        _cache[full_key] = rendered
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return rendered


def render_lesson(slug: str, revision: Any, settings: ClinicSettings,
                  place: Place | None = None) -> Rendered:
    """A lesson revision, rendered once per (revision, content hash, sign-off, place, clinic).

    The place is in the key: when the course gains or loses a lesson, "Lesson N of M" and
    "Next: …" change although the revision does not.
    """
    content = lesson_content(slug, revision, place)
    if getattr(revision, "id", None) is None:
        return render(content, settings)  # an unsaved draft (preview): nothing to key on
    key = ("lesson", revision.id, revision.content_hash, content.signoff, place)
    return cached(key, content, settings)


def greeting(first_name: str | None) -> str:
    """"Hi Maria," or, without a first name, "Hi there,"."""
    name = clean_name(first_name)
    return f"Hi {name}," if name else "Hi there,"


def _values(personal: Personal) -> dict[str, str]:
    return {
        GREETING: greeting(personal.first_name),
        UNSUBSCRIBE: personal.unsubscribe_url,
        PREFERENCES: personal.preferences_url,
        ACTION: personal.action_url,
    }


def personalise(rendered: Rendered, personal: Personal) -> tuple[str, str]:
    """Fill the per-subscriber slots: (html, text). HTML values are escaped."""
    page, text = rendered.html, rendered.text
    for slot, value in _values(personal).items():
        page = page.replace(slot, html.escape(value, quote=True))
        text = text.replace(slot, value)
    return page, text


def personalise_quoted(rendered: Rendered, personal: Personal) -> tuple[bytes, bytes]:
    """personalise, as the quoted-printable bodies of a message: (html, text).

    Only the values are encoded per subscriber; the rest was encoded once per render.
    """
    values = _values(personal)
    page, text = rendered.quoted
    return (page.fill({slot: html.escape(value, quote=True) for slot, value in values.items()}),
            text.fill(values))

