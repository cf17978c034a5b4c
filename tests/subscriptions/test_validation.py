"""What people type into the forms: pure checks, no app."""

from __future__ import annotations

import pytest

from service.subscriptions.consent import CONSENT_TEXTS, CURRENT
from service.subscriptions.validation import (
    FieldError,
    FormErrors,
    clean_first_name,
    normalise_email,
    parse_preferences,
    read_signup,
)

ZONES = {"America/Chicago", "Europe/Paris", "UTC"}


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("ann@example.com", "ann@example.com"),
        ("  Ann.Lee@Example.COM ", "ann.lee@example.com"),
        ("bob+course@sub.example.org", "bob+course@sub.example.org"),
        ("zoë@bücher.example", None),  # non-ASCII local part needs SMTPUTF8: refused
        ("ann@bücher.example", "ann@xn--bcher-kva.example"),  # IDN domain kept as ASCII
    ],
)
def test_addresses_are_normalised_to_what_we_store(raw: str, stored: str | None) -> None:
    if stored is None:
        with pytest.raises(FieldError):
            normalise_email(raw)
    else:
        assert normalise_email(raw) == stored


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "enter your email"),
        ("not-an-address", "does not look like an email"),
        ("ann@", "does not look like an email"),
        ("Ann <ann@example.com>", "does not look like an email"),
        ("ann@example.com\r\nBcc: victim@example.com", "line break"),
        ("ann@example.com\nX: y", "line break"),
        ("a" * 64 + "@" + ("b" * 62 + ".") * 3 + "example", "too long"),
        ("x" * 300 + "@example.com", "too long"),
    ],
)
def test_bad_addresses_get_a_clear_message(raw: str, says: str) -> None:
    with pytest.raises(FieldError) as caught:
        normalise_email(raw)
    assert caught.value.field == "email"
    assert says in caught.value.message


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("  Ann ", "Ann"), ("", ""), (None, ""), ("Zoë-Marie O'Brien", "Zoë-Marie O'Brien"),
     ("x" * 60, "x" * 60)],
)
def test_first_names_are_stripped(raw: str | None, clean: str) -> None:
    assert clean_first_name(raw) == clean


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("x" * 61, "60 characters"),
        ("Ann\r\nBcc: victim@example.com", "line breaks"),
        ("Ann\nLee", "line breaks"),
        ("Ann\x00", "hidden characters"),
        ("<script>alert(1)</script>", "< and >"),
        ("Ann <b>", "< and >"),
    ],
)
def test_bad_first_names_are_refused_with_a_reason(raw: str, says: str) -> None:
    with pytest.raises(FieldError) as caught:
        clean_first_name(raw)
    assert caught.value.field == "first_name"
    assert says in caught.value.message


@pytest.mark.parametrize("consent", [None, "", "off", "no", False, "false", 1])
def test_signup_without_a_positive_consent_is_refused(consent: object) -> None:
    data = {"email": "ann@example.com", "first_name": "Ann", "consent": consent}
    with pytest.raises(FormErrors) as caught:
        read_signup(data, CONSENT_TEXTS.keys(), CURRENT)
    assert set(caught.value.errors) == {"consent"}


@pytest.mark.parametrize("consent", [True, "yes", "on"])
def test_a_ticked_box_or_json_true_is_consent(consent: object) -> None:
    data = {"email": "Ann@Example.com", "first_name": " Ann ", "consent": consent}
    assert read_signup(data, CONSENT_TEXTS.keys(), CURRENT) == ("ann@example.com", "Ann", CURRENT)


def test_every_bad_field_is_reported_at_once() -> None:
    data = {"email": "nope", "first_name": "<b>", "consent": None}
    with pytest.raises(FormErrors) as caught:
        read_signup(data, CONSENT_TEXTS.keys(), CURRENT)
    assert set(caught.value.errors) == {"email", "first_name", "consent"}


def test_an_unknown_consent_version_is_refused() -> None:
    data = {"email": "a@example.com", "consent": True, "consent_version": "1999-1"}
    with pytest.raises(FormErrors) as caught:
        read_signup(data, CONSENT_TEXTS.keys(), CURRENT)
    assert "out of date" in caught.value.errors["consent"]


@pytest.mark.parametrize("value", [["a@example.com"], 42, {"x": 1}])
def test_json_values_that_are_not_text_are_refused(value: object) -> None:
    with pytest.raises(FormErrors) as caught:
        read_signup({"email": value, "consent": True}, CONSENT_TEXTS.keys(), CURRENT)
    assert "email" in caught.value.errors


GOOD = {"first_name": "Ann", "timezone": "Europe/Paris", "send_hour": "7",
        "course_enabled": "yes", "weekdays_only": "yes"}


def test_preferences_read_ticked_and_unticked_boxes() -> None:
    chosen = parse_preferences(GOOD, ZONES)
    assert (chosen.timezone, chosen.send_hour) == ("Europe/Paris", 7)
    assert chosen.course_enabled and chosen.weekdays_only
    assert not chosen.newsletter_enabled


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("send_hour", "24"), ("send_hour", "-1"), ("send_hour", "nine"), ("send_hour", ""),
        ("send_hour", "²"), ("send_hour", "1e1"), ("timezone", "Mars/Olympus"),
        ("timezone", ""), ("first_name", "A\nB"), ("first_name", "y" * 61),
    ],
)
def test_invalid_preferences_name_the_field(field: str, value: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_preferences({**GOOD, field: value}, ZONES)
    assert caught.value.field == field


def test_consent_text_of_the_current_version_exists() -> None:
    assert "unsubscribe" in CONSENT_TEXTS[CURRENT]
