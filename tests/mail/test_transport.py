"""The SMTP transport against a real loopback server, and the dev outbox."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.mail.message import Outgoing, build_message, recipient
from service.mail.transport import (
    OutboxTransport,
    PermanentFailure,
    SMTPTransport,
    TransientFailure,
    failure,
    open_transport,
)
from tests.smtp_server import SMTPServer, free_port

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def message_to(address: str, subject: str = "Hello") -> Outgoing:
    return build_message(
        mail_from="Calm Hands Massage <hello@calmhands.example>",
        to=recipient(address, "Maria"),
        subject=subject,
        text="Hi Maria,\n",
        html="<p>Hi Maria,</p>",
        now=NOW,
    )


@pytest.mark.parametrize(
    ("code", "kind"),
    [(550, PermanentFailure), (554, PermanentFailure), (451, TransientFailure),
     (421, TransientFailure), (None, TransientFailure)],
)
def test_reply_codes_map_to_failures(code: int | None, kind: type) -> None:
    assert type(failure(code, b"reply")) is kind


def test_several_messages_over_one_connection(smtp_server: SMTPServer) -> None:
    with open_transport({"SMTP_URL": smtp_server.url, "OUTBOX_DIR": "unused"}) as transport:
        assert isinstance(transport, SMTPTransport)
        for number in range(3):
            transport.send(message_to(f"patient{number}@example.com", f"Lesson {number}"))
        connection = transport._smtp
        assert connection is not None and transport._smtp is connection
    subjects = sorted(str(m["Subject"]) for m in smtp_server.messages)
    assert subjects == ["Lesson 0", "Lesson 1", "Lesson 2"]
    assert smtp_server.messages_to("patient1@example.com")


def test_refused_recipient_is_permanent_and_connection_survives(smtp_server: SMTPServer) -> None:
    smtp_server.reply_to("gone@example.com", "550 5.1.1 No such user")
    with SMTPTransport(smtp_server.url) as transport:
        with pytest.raises(PermanentFailure) as raised:
            transport.send(message_to("gone@example.com"))
        transport.send(message_to("here@example.com"))
    assert raised.value.code == 550
    assert "No such user" in raised.value.reply
    assert [str(m["To"]) for m in smtp_server.messages] == ["Maria <here@example.com>"]


def test_mailbox_busy_is_transient(smtp_server: SMTPServer) -> None:
    smtp_server.reply_to("busy@example.com", "451 4.2.0 Try again later")
    with SMTPTransport(smtp_server.url) as transport, pytest.raises(TransientFailure) as raised:
        transport.send(message_to("busy@example.com"))
    assert raised.value.code == 451


def test_server_down_is_transient() -> None:
    with SMTPTransport(f"smtp://127.0.0.1:{free_port()}", timeout=2) as transport:
        with pytest.raises(TransientFailure):
            transport.send(message_to("maria@example.com"))


def test_reconnects_once_when_the_connection_dropped(smtp_server: SMTPServer) -> None:
    with SMTPTransport(smtp_server.url) as transport:
        transport.send(message_to("one@example.com"))
        assert transport._smtp is not None
        transport._smtp.sock.close()  # the server or a firewall dropped us between messages
        transport.send(message_to("two@example.com"))
    assert len(smtp_server.messages) == 2


def test_server_stopped_mid_batch_is_transient() -> None:
    server = SMTPServer().start()
    transport = SMTPTransport(server.url, timeout=2)
    transport.send(message_to("one@example.com"))
    server.stop()
    with pytest.raises(TransientFailure):
        transport.send(message_to("two@example.com"))
    transport.close()


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        SMTPTransport("http://mail.example.com")


def test_outbox_writes_parseable_eml(tmp_path: Path) -> None:
    folder = tmp_path / "outbox" / "new"
    with open_transport({"SMTP_URL": None, "OUTBOX_DIR": str(folder)}) as transport:
        assert isinstance(transport, OutboxTransport)
        transport.send(message_to("maria@example.com", "First"))
        transport.send(message_to("maria@example.com", "Second"))
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 2
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert sorted(str(m["Subject"]) for m in parsed) == ["First", "Second"]
    assert parsed[0].get_content_type() == "multipart/alternative"
    assert not list(folder.glob("*.part"))
