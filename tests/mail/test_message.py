"""Headers and MIME structure of every message."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from service.mail.message import (
    build_message,
    clean_name,
    list_id_header,
    list_unsubscribe_header,
    recipient,
)

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
LONG_URL = "https://calmhands.example/unsubscribe/" + "A1b2C3d4." * 12


def bulk_message(first_name: str = "Maria") -> EmailMessage:
    return build_message(
        mail_from="Calm Hands Massage <hello@calmhands.example>",
        to=recipient("maria@example.com", first_name),
        subject="What sciatica is, in plain words",
        text="Hi Maria,\n\nThe text part.\n",
        html="<p>Hi Maria,</p>",
        now=NOW,
        list_unsubscribe=list_unsubscribe_header(LONG_URL, "unsubscribe@calmhands.example"),
        list_id=list_id_header("Calm Hands Massage", "Calm Hands <hello@calmhands.example>"),
    )


def reparse(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Maria", "Maria"),
        ("  Maria  Lopez ", "Maria Lopez"),
        ("Maria\r\nBcc: attacker@example.com", "Maria Bcc: attacker@example.com"),
        ("Ma\x00ria\t\x1b", "Ma ria"),
        ("Zoë\u2028Ann", "Zoë Ann"),
        ("", ""),
        (None, ""),
        ("x" * 100, "x" * 60),
    ],
)
def test_clean_name(raw: str | None, clean: str) -> None:
    assert clean_name(raw) == clean


def test_text_first_html_last() -> None:
    message = reparse(bulk_message())
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]


def test_list_unsubscribe_stays_on_one_line_in_the_raw_bytes() -> None:
    raw = bulk_message().as_bytes()
    line = next(x for x in raw.split(b"\r\n") if x.startswith(b"List-Unsubscribe:"))
    expected = f"List-Unsubscribe: <{LONG_URL}>, <mailto:unsubscribe@calmhands.example>"
    assert line.decode() == expected
    assert len(line) > 78  # long enough that default folding would have split it
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


def test_date_list_id_and_message_id() -> None:
    message = reparse(bulk_message())
    assert message["Date"] == "Sat, 21 Nov 2026 09:30:00 +0000"
    assert message["List-Id"] == "Calm Hands Massage <course.calmhands.example>"
    assert message["Message-ID"].endswith("@calmhands.example>")
    assert str(message["To"]) == "Maria <maria@example.com>"


def test_message_ids_are_unique() -> None:
    ids = {bulk_message()["Message-ID"] for _ in range(50)}
    assert len(ids) == 50


def test_transactional_mail_has_no_list_headers() -> None:
    message = build_message(
        mail_from="Calm Hands Massage <hello@calmhands.example>",
        to=recipient("maria@example.com", ""),
        subject="Please confirm",
        text="t",
        html="<p>h</p>",
        now=NOW,
    )
    assert message["List-Unsubscribe"] is None
    assert message["List-Unsubscribe-Post"] is None
    assert str(message["To"]) == "maria@example.com"


@pytest.mark.parametrize(
    "name",
    ["Maria\r\nBcc: attacker@example.com", "Maria\nSubject: hacked", "Maria\rX-Evil: 1",
     'Maria" <attacker@example.com>, "x', "<script>alert(1)</script>"],
)
def test_a_name_cannot_add_headers_or_recipients(name: str) -> None:
    message = reparse(bulk_message(name))
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["Subject"] == "What sciatica is, in plain words"
    addresses = message["To"].addresses
    assert [a.addr_spec for a in addresses] == ["maria@example.com"]


def test_an_address_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError):
        recipient("maria@example.com\r\nBcc: attacker@example.com", "Maria")
