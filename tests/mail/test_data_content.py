"""A message's bytes as DATA carries them: the same as smtplib makes them at each send,
and they arrive at a real SMTP server as they were built."""

from __future__ import annotations

import smtplib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.mail.data_content import for_data
from service.mail.message import Outgoing
from service.mail.transport import open_transport
from tests.smtp_server import SMTPServer


def smtplib_data(raw: bytes) -> bytes:
    """What smtplib.SMTP.data() sends for `raw` (bytes), after the DATA command."""
    quoted = smtplib._quote_periods(raw)  # type: ignore[attr-defined]
    if quoted[-2:] != b"\r\n":
        quoted += b"\r\n"
    return quoted + b".\r\n"


@pytest.mark.parametrize("raw", [
    b"Subject: x\r\n\r\nplain\r\n",
    b"Subject: x\r\n\r\nno line end at the end",
    b".leading dot on the first line\r\n",
    b"Subject: x\r\n\r\n.\r\n..\r\n. a dot and a space\r\nmid.dle\r\n",
    b"",
])
def test_stuffed_and_ended_as_smtplib_does_it(raw: bytes) -> None:
    assert for_data(raw) == smtplib_data(raw)


@given(st.lists(st.sampled_from([b"", b".", b"..", b"a", b".a", b"a.", b"\r", b" ."]),
                max_size=12),
       st.booleans())
def test_any_lines_are_stuffed_as_smtplib_does_it(lines: list[bytes], ended: bool) -> None:
    raw = b"\r\n".join(lines) + (b"\r\n" if ended else b"")
    assert for_data(raw) == smtplib_data(raw)


def test_lines_that_start_with_a_period_arrive_as_they_were_written(
    smtp_server: SMTPServer,
) -> None:
    body = ".starts with a dot\r\n..two dots\r\n.\r\nthe end"
    raw = (b"From: hello@calmhands.example\r\nTo: maria@example.com\r\nSubject: Dots\r\n"
           b"Message-ID: <1@calmhands.example>\r\n\r\n" + body.encode())
    message = Outgoing(raw, "hello@calmhands.example", "maria@example.com",
                       "<1@calmhands.example>")
    with open_transport(smtp_server.url, "unused", timeout=5) as transport:
        transport.send(message)
    [arrived] = smtp_server.wait_for("maria@example.com")
    assert str(arrived.get_payload()).replace("\r\n", "\n").rstrip("\n") \
        == body.replace("\r\n", "\n")
