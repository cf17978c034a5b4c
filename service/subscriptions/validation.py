"""Checking what people type: pure functions that raise InvalidInput with a clear message."""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from dataclasses import dataclass
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from service.errors import InvalidInput

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 60
# Control characters (CR and LF among them) could split a mail header; `<` and `>` are markup.
_FORBIDDEN_IN_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f<>]")
# A name is greeted in clinic-branded mail and shown in its To header: no link, no address.
_LINK_IN_NAME = re.compile(
    r"@|://|www\.|\b[a-z0-9-]+\.(?:com|net|org|info|biz|io|co|ru|cn|xyz|top|me|ly|link|"
    r"click|app|site|online|shop|us|uk|de)\b", re.IGNORECASE)
_MARKUP_IN_NAME = re.compile(r"[<>{}\[\]]|&#?\w+;")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TICKED = frozenset({"on", "yes", "true", "1", "y"})  # what a ticked box may send
_HOUR = re.compile(r"[0-9]{1,2}")


class FieldError(InvalidInput):
    """InvalidInput that names the field at fault, so the form can point at it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class FormErrors(InvalidInput):
    """Every problem in one form, by field; the message is the first of them."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


# Cached: a signup asks twice (its rate limit is keyed on the address, then the form is
# read), and the check parses the address the slow way. It is a pure function of `raw`.
@lru_cache(maxsize=1024)
def normalise_email(raw: str) -> str:
    """Return the address to store (lower-case, ASCII domain) or raise FieldError."""
    address = (raw or "").strip()
    if not address:
        raise FieldError("email", "Please enter your email address.")
    if _CONTROL.search(address):
        raise FieldError("email", "Your email address contains a line break or hidden character.")
    if len(address) > MAX_EMAIL_LENGTH:
        raise FieldError(
            "email", f"That email address is too long ({MAX_EMAIL_LENGTH} characters at most)."
        )
    try:
        info = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise FieldError("email", f"That does not look like an email address: {error}") from error
    normalised = (info.ascii_email or info.normalized).lower()
    if len(normalised) > MAX_EMAIL_LENGTH:
        raise FieldError(
            "email", f"That email address is too long ({MAX_EMAIL_LENGTH} characters at most)."
        )
    return normalised


def clean_first_name(raw: str | None, *, public: bool = True) -> str:
    """Return the first name stripped (may be empty) or raise FieldError.

    A name typed by the public (signup, preferences) may hold no link, address or markup;
    the clinic's own CSV import is checked only for what could break a header or a page.
    """
    name = (raw or "").strip()
    if len(name) > MAX_NAME_LENGTH:
        raise FieldError(
            "first_name", f"Please keep your first name to {MAX_NAME_LENGTH} characters or fewer."
        )
    if _FORBIDDEN_IN_NAME.search(name):
        raise FieldError(
            "first_name",
            "Your first name cannot contain line breaks, hidden characters, or the signs < and >.",
        )
    if public and (_LINK_IN_NAME.search(name) or _MARKUP_IN_NAME.search(name)):
        raise FieldError(
            "first_name",
            "Please enter only your first name: no web or email address, and no code.",
        )
    return name


def is_ticked(given: object) -> bool:
    """Whether a form value means a ticked box (or JSON `true`)."""
    return given is True or (isinstance(given, str) and given.lower() in _TICKED)


def require_consent(given: object) -> None:
    """Consent must be a positive act: a ticked box or JSON `true`, nothing else."""
    if not is_ticked(given):
        raise FieldError("consent", "Please tick the box to say you agree to receive the emails.")


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def read_signup(
    data: Mapping[str, object], versions: Set[str], current_version: str
) -> tuple[str, str, str]:
    """Check a signup's address, first name, consent and consent version, all at once.

    Returns (email, first_name, consent_version); raises FormErrors naming every bad field.
    """
    errors: dict[str, str] = {}
    version = _text(data.get("consent_version")) or current_version
    checks = [
        lambda: normalise_email(_text(data.get("email"))),
        lambda: clean_first_name(_text(data.get("first_name"))),
        lambda: require_consent(data.get("consent")),
    ]
    results: list[str | None] = []
    for check in checks:
        try:
            results.append(check())
        except FieldError as error:
            errors[error.field] = error.message
    if "consent" not in errors and version not in versions:
        errors["consent"] = "This form is out of date. Please reload the page and try again."
    if errors:
        raise FormErrors(errors)
    return str(results[0]), str(results[1]), version


@dataclass(frozen=True)
class Preferences:
    """What a subscriber can change on the preferences form (pausing has its own buttons)."""

    first_name: str
    timezone: str
    send_hour: int
    course_enabled: bool
    newsletter_enabled: bool
    weekdays_only: bool


def _checked(form: Mapping[str, str], name: str) -> bool:
    return (form.get(name) or "").lower() in _TICKED


def parse_preferences(form: Mapping[str, str], timezones: Set[str]) -> Preferences:
    """Read the preferences form (unticked boxes are absent) or raise FieldError."""
    timezone = (form.get("timezone") or "").strip()
    if timezone not in timezones:
        raise FieldError("timezone", "Please choose a time zone from the list.")
    raw_hour = (form.get("send_hour") or "").strip()
    if not _HOUR.fullmatch(raw_hour) or not 0 <= int(raw_hour) <= 23:
        raise FieldError("send_hour", "Please choose an hour between 0 and 23.")
    return Preferences(
        first_name=clean_first_name(form.get("first_name")),
        timezone=timezone,
        send_hour=int(raw_hour),
        course_enabled=_checked(form, "course_enabled"),
        newsletter_enabled=_checked(form, "newsletter_enabled"),
        weekdays_only=_checked(form, "weekdays_only"),
    )
