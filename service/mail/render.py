"""Email bodies: Markdown -> HTML fragment -> MJML layout -> HTML, and a text part from the
Markdown. Rendered once per lesson revision; per-subscriber parts are filled in afterwards."""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from mjml import mjml2html

from service.mail import markdown
from service.mail.message import clean_name

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "email_templates"

DISCLAIMER = (
    "This email is general information, not medical advice. "
    "It does not replace seeing a doctor."
)
URGENT = (
    "Go to the emergency room now if you have numbness between your legs, "
    "new bladder or bowel problems, or weakness in both legs."
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
class ClinicSettings:
    """What every email shows about the clinic; part of every cache key."""

    name: str
    postal_address: str
    phone: str
    booking_url: str
    templates_dir: str = str(TEMPLATES_DIR)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ClinicSettings:
        """Read the clinic settings from the app config (or any mapping)."""
        return cls(
            name=str(config["CLINIC_NAME"]),
            postal_address=str(config["CLINIC_POSTAL_ADDRESS"]),
            phone=str(config["CLINIC_PHONE"]),
            booking_url=str(config["CLINIC_BOOKING_URL"]),
            templates_dir=str(config.get("EMAIL_TEMPLATES_DIR") or TEMPLATES_DIR),
        )

    def placeholder_values(self) -> dict[str, str]:
        return {
            "CLINIC_BOOKING_URL": self.booking_url,
            "CLINIC_NAME": self.name,
            "CLINIC_PHONE": self.phone,
        }


@dataclass(frozen=True)
class Rendered:
    """A rendered email with slots still in it: render once, personalise many times."""

    subject: str
    html: str
    text: str


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
        body_html=Markup(markdown.to_html(body)),
        after_html=Markup(markdown.to_html(after)),
        sources=content.sources,
        action_label=content.action_label,
        action_url=_action_url(content, settings),
        disclaimer=DISCLAIMER,
        urgent=URGENT,
        footer_reason=content.footer_reason,
        signoff=content.signoff,
    )


def render_text(content: Content, settings: ClinicSettings) -> str:
    """The plain-text part, made from the Markdown (not from the HTML)."""
    parts = [GREETING, markdown.to_text(_clean_markdown(content.body, settings))]
    if content.action_label:
        parts.append(f"{content.action_label}:\n{_action_url(content, settings)}")
    if content.after:
        parts.append(markdown.to_text(_clean_markdown(content.after, settings)))
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


def lesson_content(slug: str, revision: Any) -> Content:
    """The Content of a lesson revision (anything with subject, preheader, body, sources)."""
    return Content(
        name=f"lesson {slug!r}",
        template="lesson.mjml",
        subject=revision.subject,
        preheader=revision.preheader or "",
        body=revision.body,
        sources=tuple(revision.sources or ()),
        footer_reason="You get this email because you joined our course on sciatica.",
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


def render_lesson(slug: str, revision: Any, settings: ClinicSettings) -> Rendered:
    """A lesson revision, rendered once per revision, content, sign-off and clinic settings."""
    content = lesson_content(slug, revision)
    if getattr(revision, "id", None) is None:
        return render(content, settings)  # an unsaved draft (preview): nothing to key on
    key = ("lesson", revision.id, revision.content_hash, content.signoff)
    return cached(key, content, settings)


def greeting(first_name: str | None) -> str:
    """"Hi Maria," or, without a first name, "Hi there,"."""
    name = clean_name(first_name)
    return f"Hi {name}," if name else "Hi there,"


def personalise(rendered: Rendered, personal: Personal) -> tuple[str, str]:
    """Fill the per-subscriber slots: (html, text). HTML values are escaped."""
    values = {
        GREETING: greeting(personal.first_name),
        UNSUBSCRIBE: personal.unsubscribe_url,
        PREFERENCES: personal.preferences_url,
        ACTION: personal.action_url,
    }
    page, text = rendered.html, rendered.text
    for slot, value in values.items():
        page = page.replace(slot, html.escape(value, quote=True))
        text = text.replace(slot, value)
    return page, text

