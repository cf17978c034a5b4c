"""A real SMTP server on loopback (aiosmtpd) that records what it receives."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage


@dataclass
class RecordingHandler:
    """Keeps every accepted message; `replies` maps a recipient to a forced RCPT reply,
    `data_reply` (if set) answers every DATA instead of accepting the message, and with
    `stall` set DATA is read to its end and never answered (counted in `stalled`)."""

    received: list[Received] = field(default_factory=list)
    replies: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    stall: bool = False
    stalled: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.data_reply:
            return self.data_reply
        if self.stall:
            with self.lock:
                self.stalled += 1
            await asyncio.Event().wait()  # the reply to the final dot never comes
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), message)
            )
        return "250 Message accepted"


class SMTPServer:
    """Starts and stops one loopback SMTP server; `url` suits SMTP_URL."""

    def __init__(self, port: int | None = None) -> None:
        self.handler = RecordingHandler()
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return [r.message for r in self.handler.received]

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if str(m["To"]).lower().endswith(address.lower() + ">")
                or str(m["To"]).lower() == address.lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        """The messages to `address` once there are `count` of them (or whatever came)."""
        deadline = time.monotonic() + timeout
        while len(found := self.messages_to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return found

    def reply_to(self, address: str, reply: str) -> None:
        """Answer RCPT TO for `address` with `reply`, e.g. '550 5.1.1 No such user'."""
        self.handler.replies[address.lower()] = reply

    def refuse_data(self, reply: str | None) -> None:
        """Answer every DATA with `reply`, e.g. '550 5.7.26 DMARC policy'; None accepts again."""
        self.handler.data_reply = reply

    def stall_after_data(self) -> None:
        """Read every message to its final dot and never answer: it may count as delivered."""
        self.handler.stall = True

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class HungServer:
    """Accepts TCP connections on loopback and never says a word, like a stuck mail server.

    `answer()` closes the silent connections and starts a real SMTPServer on the same port.
    """

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # accept() wakes to see `stopped`
        self.port = int(self.listener.getsockname()[1])
        self.connections: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections.append(connection)

    def start(self) -> HungServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.stopped.is_set():
            return
        self.stopped.set()
        self.thread.join(timeout=5)
        self.listener.close()
        for connection in self.connections:
            connection.close()

    def answer(self) -> SMTPServer:
        """Stop hanging: from now on the port is served by a real SMTP server."""
        self.stop()
        return SMTPServer(self.port).start()

    def __enter__(self) -> HungServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
