"""The SMTP transport against a real loopback server, and the dev outbox."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.mail.bounces import Stage
from service.mail.message import Outgoing, build_message, recipient
from service.mail.transport import (
    Interrupted,
    OutboxTransport,
    SendFailure,
    SMTPTransport,
    Waiting,
    Withdrawn,
    open_transport,
)
from tests.smtp_server import HungServer, SMTPServer, free_port

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


def test_several_messages_over_one_connection(smtp_server: SMTPServer) -> None:
    with open_transport(smtp_server.url, "unused", timeout=5) as transport:
        assert isinstance(transport, SMTPTransport)
        for number in range(3):
            transport.send(message_to(f"patient{number}@example.com", f"Lesson {number}"))
        connection = transport._smtp
        assert connection is not None and transport._smtp is connection
    subjects = sorted(str(m["Subject"]) for m in smtp_server.messages)
    assert subjects == ["Lesson 0", "Lesson 1", "Lesson 2"]
    assert smtp_server.messages_to("patient1@example.com")


def test_refused_recipient_says_rcpt_and_connection_survives(smtp_server: SMTPServer) -> None:
    smtp_server.reply_to("gone@example.com", "550 5.1.1 No such user")
    with SMTPTransport(smtp_server.url) as transport:
        with pytest.raises(SendFailure) as raised:
            transport.send(message_to("gone@example.com"))
        transport.send(message_to("here@example.com"))
    assert (raised.value.stage, raised.value.code) == (Stage.RCPT, 550)
    assert "No such user" in raised.value.reply
    assert [str(m["To"]) for m in smtp_server.messages] == ["Maria <here@example.com>"]


def test_a_message_withdrawn_before_data_never_arrives_and_the_next_one_does(
    smtp_server: SMTPServer, tmp_path: Path
) -> None:
    asked: list[str] = []

    def stopped() -> bool:
        asked.append("withdrawn")
        return False

    with SMTPTransport(smtp_server.url) as transport:
        with pytest.raises(Withdrawn):
            transport.send(message_to("stopped@example.com"), before_data=stopped)
        transport.send(message_to("next@example.com"), before_data=lambda: True)
    assert asked == ["withdrawn"]
    assert [str(m["To"]) for m in smtp_server.messages] == ["Maria <next@example.com>"]
    outbox = OutboxTransport(tmp_path / "outbox")
    with pytest.raises(Withdrawn):
        outbox.send(message_to("stopped@example.com"), before_data=stopped)
    assert not (tmp_path / "outbox").exists()


class _Heard(Waiting):
    """Notes each wait it hears of; at each reply, how many messages the server has."""

    def __init__(self, server: SMTPServer) -> None:
        self.server = server
        self.heard: list[str] = []

    def on_server(self) -> None:
        self.heard.append("on server")

    def reading(self, busy: bool) -> None:
        self.heard.append("reading" if busy else f"answered ({len(self.server.messages)})")


def test_the_transport_tells_when_the_server_is_busy_with_our_mail(
    smtp_server: SMTPServer,
) -> None:
    """Connecting and each MAIL FROM, then each content from written to answered; nothing
    for a message withdrawn before its content or refused at RCPT TO."""
    smtp_server.reply_to("gone@example.com", "550 5.1.1 No such user")
    transport = SMTPTransport(smtp_server.url)
    assert transport.tells_waiting and not OutboxTransport("unused").tells_waiting
    transport.waiting = heard = _Heard(smtp_server)
    with transport:
        transport.send(message_to("one@example.com"))
        with pytest.raises(Withdrawn):
            transport.send(message_to("stopped@example.com"), before_data=lambda: False)
        with pytest.raises(SendFailure):
            transport.send(message_to("gone@example.com"))
        transport.send(message_to("two@example.com"))
    assert heard.heard == [
        "on server", "on server", "reading", "answered (1)",  # connect, then one message
        "on server",  # withdrawn
        "on server",  # refused
        "on server", "reading", "answered (2)",
    ]


def test_mailbox_busy_reports_its_code(smtp_server: SMTPServer) -> None:
    smtp_server.reply_to("busy@example.com", "451 4.2.0 Try again later")
    with SMTPTransport(smtp_server.url) as transport, pytest.raises(SendFailure) as raised:
        transport.send(message_to("busy@example.com"))
    assert (raised.value.stage, raised.value.code) == (Stage.RCPT, 451)


def test_a_refusal_at_data_says_data(smtp_server: SMTPServer) -> None:
    smtp_server.refuse_data("550 5.7.26 Unauthenticated email from calmhands.example")
    with SMTPTransport(smtp_server.url) as transport, pytest.raises(SendFailure) as raised:
        transport.send(message_to("ann@example.com"))
    assert (raised.value.stage, raised.value.code) == (Stage.DATA, 550)
    assert raised.value.reply.startswith("5.7.26")


def test_server_down_has_no_reply_code() -> None:
    with SMTPTransport(f"smtp://127.0.0.1:{free_port()}", timeout=2) as transport:
        with pytest.raises(SendFailure) as raised:
            transport.send(message_to("maria@example.com"))
    assert (raised.value.stage, raised.value.code) == (Stage.CONNECT, None)


def test_a_silent_server_costs_one_timeout_not_more() -> None:
    with HungServer() as hung, SMTPTransport(hung.url, timeout=0.5) as transport:
        start = time.monotonic()
        with pytest.raises(SendFailure) as raised:
            transport.send(message_to("maria@example.com"))
        elapsed = time.monotonic() - start
    assert raised.value.code is None and "timed out" in raised.value.reply
    assert 0.4 <= elapsed < 1.5  # SMTP_TIMEOUT is what bounds it


def _interrupted_send(transport: SMTPTransport, ready: Callable[[], bool]) -> Interrupted:
    """Send from a thread, interrupt() once `ready()`; what the send raised, within 1 s."""
    raised: list[BaseException] = []

    def send() -> None:
        try:
            transport.send(message_to("maria@example.com"))
        except BaseException as error:  # noqa: BLE001 - handed to the test below
            raised.append(error)

    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + 10
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # blocked on the server by now
    cut = time.monotonic()
    transport.interrupt()
    sender.join(5)
    assert not sender.is_alive() and time.monotonic() - cut < 1
    [error] = raised
    assert isinstance(error, Interrupted)
    return error


def test_interrupt_ends_the_wait_for_a_silent_greeting_at_once() -> None:
    with HungServer() as hung, SMTPTransport(hung.url, timeout=60) as transport:
        cut = _interrupted_send(transport, lambda: bool(hung.connections))
        assert not cut.may_have_sent  # it never got past the greeting
        with pytest.raises(Interrupted):  # nothing more goes, and it does not reconnect
            transport.send(message_to("ann@example.com"))
        assert len(hung.connections) == 1


def test_interrupt_after_the_message_was_sent_says_it_may_have_arrived(
    smtp_server: SMTPServer,
) -> None:
    smtp_server.stall_after_data()
    with SMTPTransport(smtp_server.url, timeout=60) as transport:
        cut = _interrupted_send(transport, lambda: smtp_server.handler.stalled == 1)
    assert cut.may_have_sent


def test_reconnects_once_when_the_connection_dropped(smtp_server: SMTPServer) -> None:
    with SMTPTransport(smtp_server.url) as transport:
        transport.send(message_to("one@example.com"))
        assert transport._smtp is not None
        transport._smtp.sock.close()  # the server or a firewall dropped us between messages
        transport.send(message_to("two@example.com"))
    assert len(smtp_server.messages) == 2


def test_server_stopped_mid_batch_has_no_reply_code() -> None:
    server = SMTPServer().start()
    transport = SMTPTransport(server.url, timeout=2)
    transport.send(message_to("one@example.com"))
    server.stop()
    with pytest.raises(SendFailure):
        transport.send(message_to("two@example.com"))
    transport.close()


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        SMTPTransport("http://mail.example.com")


def test_outbox_writes_parseable_eml(tmp_path: Path) -> None:
    folder = tmp_path / "outbox" / "new"
    with open_transport(None, folder, timeout=5) as transport:
        assert isinstance(transport, OutboxTransport)
        transport.send(message_to("maria@example.com", "First"))
        transport.send(message_to("maria@example.com", "Second"))
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 2
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert sorted(str(m["Subject"]) for m in parsed) == ["First", "Second"]
    assert parsed[0].get_content_type() == "multipart/alternative"
    assert not list(folder.glob("*.part"))
