"""Headers and MIME structure of every message."""

from __future__ import annotations

import email
import email.policy
import quopri
import re
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from service.mail.message import (
    Outgoing,
    QuotedBody,
    build_message,
    clean_name,
    list_id_header,
    list_unsubscribe_header,
    recipient,
)

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
LONG_URL = "https://calmhands.example/unsubscribe/" + "A1b2C3d4." * 12


def bulk_message(first_name: str = "Maria", text: str = "Hi Maria,\n\nThe text part.\n",
                 html: str = "<p>Hi Maria,</p>") -> Outgoing:
    return build_message(
        mail_from="Calm Hands Massage <hello@calmhands.example>",
        to=recipient("maria@example.com", first_name),
        subject="What sciatica is, in plain words",
        text=text,
        html=html,
        now=NOW,
        list_unsubscribe=list_unsubscribe_header(LONG_URL, "unsubscribe@calmhands.example"),
        list_id=list_id_header("Calm Hands Massage", "Calm Hands <hello@calmhands.example>"),
    )


def reparse(message: Outgoing) -> EmailMessage:
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert not parsed.defects and not any(part.defects for part in parsed.iter_parts())
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
    raw = bulk_message().raw
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
    ids = {reparse(bulk_message())["Message-ID"] for _ in range(50)}
    assert len(ids) == 50


def test_transactional_mail_has_no_list_headers() -> None:
    message = build_message(
        mail_from="Calm Hands Massage <hello@calmhands.example>",
        to=recipient("maria@example.com", ""),
        subject="Please confirm",
        text="t",
        html="<p>h</p>",
        now=NOW,
    ).parsed()
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


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("name", "shown"),
    [("José", "José"), ("Zoë Ann Müller-Łukasiewicz", "Zoë Ann Müller-Łukasiewicz"),
     ("José\r\nBcc: attacker@example.com", "José Bcc: attacker@example.com"),
     ("Maria\nX-Evil: 1", "Maria X-Evil: 1")],
)
def test_non_ascii_and_line_break_names_give_a_clean_7bit_message(name: str, shown: str) -> None:
    sent = bulk_message(name, text=f"Hi {shown},\n\nZoë's text.\n", html=f"<p>Hi {shown},</p>")
    message = reparse(sent)
    assert message["To"].addresses[0].display_name == shown
    assert [a.addr_spec for a in message["To"].addresses] == ["maria@example.com"]
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert sorted(message.keys()) == sorted([
        "From", "Subject", "List-Id", "To", "Date", "Message-ID", "List-Unsubscribe",
        "List-Unsubscribe-Post", "MIME-Version", "Content-Type"])
    assert body(message, "plain") == f"Hi {shown},\n\nZoë's text.\n"
    assert body(message, "html") == f"<p>Hi {shown},</p>\n"
    assert sent.raw.isascii()
    assert all(part["Content-Transfer-Encoding"] == "quoted-printable"
               for part in message.iter_parts())


def test_raw_lines_are_crlf_short_and_quoted_printable_lines_at_most_76() -> None:
    text = "Zoë " * 400 + "\n.\nFrom the clinic\n\rtrailing space \n" + "x" * 2000
    html = "<p>" + "é" * 1500 + "</p>"
    sent = bulk_message("José", text=text, html=html)
    assert sent.raw.isascii()
    lines = sent.raw.split(b"\r\n")
    assert not any(b"\r" in line or b"\n" in line for line in lines)
    assert max(len(line) for line in lines) <= 998
    header_block, _, bodies = sent.raw.partition(b"\r\n\r\n")
    assert max(len(line) for line in bodies.split(b"\r\n")) <= 76
    assert b"\r\n.\r\n" not in sent.raw and b"\r\nFrom " not in bodies
    message = reparse(sent)
    assert body(message, "plain") == text.replace("\n\r", "\n\n") + "\n"
    assert body(message, "html") == html + "\n"


SLOT = "SLOT-a"
OTHER = "SLOT-b"


@pytest.mark.parametrize("body", [
    f"{SLOT}",
    f"Hi {SLOT},\n\nText.\n",
    f"{'x' * 76}{SLOT}{'y' * 76}",
    f"{'é' * 30}{SLOT}{OTHER}\n.\n{SLOT}",
    f"line one \n{SLOT} \nFrom here\n{OTHER}",
    f"{'a' * 75}=\r\n{SLOT}\rend",
    "no slots at all, only text " * 10,
])
@pytest.mark.parametrize("values", [
    {SLOT: "Maria", OTHER: ""},
    {SLOT: "From José ", OTHER: "https://calmhands.example/u/" + "A1b2=C3d4." * 12},
    {SLOT: ".", OTHER: "x" * 200},
])
def test_a_body_encoded_once_decodes_to_the_body_with_the_values(
    body: str, values: dict[str, str]
) -> None:
    quoted = QuotedBody.encode(body, [SLOT, OTHER]).fill(values)
    expected = body.replace(SLOT, values[SLOT]).replace(OTHER, values[OTHER])
    expected = expected.replace("\r\n", "\n").replace("\r", "\n")
    lines = quoted.split(b"\r\n")
    assert quoted.isascii() and max(len(line) for line in lines) <= 76
    assert not any(line.startswith(b"From ") or b"\r" in line or b"\n" in line
                   for line in lines)
    decoded = quopri.decodestring(quoted.replace(b"\r\n", b"\n")).decode()
    assert decoded == expected if expected.endswith("\n") else decoded == expected + "\n"


def test_boundary_never_appears_in_the_bodies() -> None:
    sent = bulk_message(text="--===============\n==" * 20, html="=" * 300)
    boundary = re.search(rb'boundary="([^"]+)"', sent.raw)
    assert boundary
    assert sent.raw.count(b"--" + boundary.group(1)) == 3  # two parts and the close
    assert body(reparse(sent), "plain").startswith("--===============\n==")


@pytest.mark.parametrize("bad", ["<https://x.example/u>\r\nBcc: a@example.com",
                                 "<https://x.example/" + "u" * 1000 + ">"])
def test_header_values_with_line_breaks_or_too_long_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        build_message(mail_from="Calm Hands <hello@calmhands.example>",
                      to=recipient("maria@example.com", "Maria"), subject="Hello", text="t",
                      html="h", now=NOW, list_unsubscribe=bad)


def test_a_sender_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        build_message(mail_from="Calm Hands <hello@calmhands.example>\r\nBcc: a@example.com",
                      to=recipient("maria@example.com", "Maria"), subject="Hello", text="t",
                      html="h", now=NOW)


def test_envelope_matches_the_headers() -> None:
    sent = bulk_message()
    assert sent.sender == "hello@calmhands.example"
    assert sent.recipient == "maria@example.com"
    assert reparse(sent)["Message-ID"] == sent.message_id
