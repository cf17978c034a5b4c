"""smtplib's client with the moments the SMTP transport needs from inside sendmail().

A question just before DATA (BeforeData, which may withdraw the message) and news of the
server's waits (Waiting). service.mail.transport drives it; nothing else should.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from service.mail.data_content import DataContent

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class Withdrawn(Exception):
    """`before_data` said no: the message was not handed over (the envelope was reset)."""


# Asked once a message's envelope is accepted, just before its content goes: True sends it,
# False withdraws it. The dispatch pass uses the moment to read back the previous message's
# "sent" mark, so that database round trip overlaps this message's MAIL FROM and RCPT TO.
BeforeData = Callable[[], bool]


class Waiting:
    """Told when the SMTP server is busy with what we sent, so the caller can use the wait.

    The dispatch pass sends the previous message's "sent" mark while the server answers
    MAIL FROM, and lets its preparing thread compose while the server reads a message's
    content: both threads share one GIL, and composing at any other moment holds up the
    sending thread as each reply comes in. A transport that never waits on a server (the
    dev outbox) tells nothing (`Transport.tells_waiting`).
    """

    def on_server(self) -> None:
        """MAIL FROM is written and its reply not yet read, or a connection is about to be
        opened (which may take long)."""

    def reading(self, busy: bool) -> None:
        """True: a message's content is written and the server is reading it; False: its
        reply is in, or the send ended otherwise."""


class Client(smtplib.SMTP):
    """smtplib's sendmail() with a question before DATA (see BeforeData) and news of its
    waits (see Waiting), made before it connects (so interrupt() can reach the socket
    meanwhile) for the host it will reach."""

    before_data: BeforeData | None = None
    waiting: Waiting | None = None
    _in_data = False

    def __init__(self, host: str, **options: Any) -> None:
        super().__init__(**options)
        # smtplib checks the server's certificate against the host given to its
        # constructor (STARTTLS and SMTPS alike), which connecting later does not set.
        self._host = host

    def putcmd(self, cmd: str, args: str = "") -> None:
        super().putcmd(cmd, args)
        if cmd == "mail" and self.waiting is not None:
            self.waiting.on_server()

    def send(self, s: ReadableBuffer | str) -> None:
        super().send(s)
        # Inside data(), commands go as text and the content as bytes.
        if self._in_data and isinstance(s, bytes) and self.waiting is not None:
            self.waiting.reading(True)

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        if self.before_data is not None and not self.before_data():
            raise Withdrawn()
        self._in_data = True
        try:
            if isinstance(msg, DataContent):
                return self._data_as_is(msg)
            return super().data(msg)
        finally:
            self._in_data = False
            if self.waiting is not None:
                self.waiting.reading(False)

    def _data_as_is(self, content: DataContent) -> tuple[int, bytes]:
        """smtplib's data() for content already stuffed and ended (message.for_data)."""
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.send(content)
        return self.getreply()


class TLSClient(Client, smtplib.SMTP_SSL):
    """The same over SMTPS (TLS from the first byte)."""
