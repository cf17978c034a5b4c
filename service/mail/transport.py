"""Hand messages to SMTP over one reused connection, or write them to a dev outbox folder."""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from service.mail.bounces import Stage
from service.mail.message import Outgoing

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class SendFailure(Exception):
    """A message did not leave: where the server refused, its reply code (None: no reply)."""

    def __init__(self, stage: Stage, code: int | None, reply: str) -> None:
        super().__init__(f"{code} {reply}" if code else reply)
        self.stage = stage
        self.code = code
        self.reply = reply

    @property
    def text(self) -> str:
        """The reply as recorded on the outbox row: code and text."""
        return f"{self.code} {self.reply}" if self.code else self.reply


class Interrupted(Exception):
    """A send cut short by `Transport.interrupt()` (the worker is stopping).

    `may_have_sent`: the message was being handed over (MAIL FROM onwards), so the server
    may have accepted it; before that (connecting, greeting, login) it certainly did not.
    """

    def __init__(self, may_have_sent: bool) -> None:
        super().__init__("the send was cut short: the worker is stopping")
        self.may_have_sent = may_have_sent


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


class Transport:
    """Sends message bytes; use as a context manager so the connection is closed."""

    tells_waiting = False  # whether `waiting` hears of the server's waits
    waiting: Waiting | None = None

    def send(self, message: Outgoing, before_data: BeforeData | None = None) -> None:
        """Hand one message over; SendFailure says where and why it was not accepted, and
        Withdrawn that `before_data` returned False."""
        raise NotImplementedError

    def interrupt(self) -> None:
        """From another thread: end a send that waits on the server now, and refuse any
        later one (Interrupted). Nothing to cut here: only SMTP waits on a server."""

    def close(self) -> None:
        """Release the connection, if any."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class _SMTP(smtplib.SMTP):
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
            return super().data(msg)
        finally:
            self._in_data = False
            if self.waiting is not None:
                self.waiting.reading(False)


class _SMTPS(_SMTP, smtplib.SMTP_SSL):
    pass


class SMTPTransport(Transport):
    """One SMTP connection, opened on the first send and reused for every later message."""

    tells_waiting = True

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError(f"SMTP_URL must be smtp://, smtp+starttls:// or smtps://: {url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname or "localhost"
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self._smtp: _SMTP | None = None
        self._opening: smtplib.SMTP | None = None  # the connection being opened
        self._interrupted = threading.Event()
        self._handing_over = False  # from MAIL FROM on: the server may accept the message

    def _connect(self) -> _SMTP:
        context = ssl.create_default_context()
        # Made unconnected first, so interrupt() can reach its socket while it connects.
        smtp: _SMTP
        if self.scheme == "smtps":
            smtp = _SMTPS(self.host, timeout=self.timeout, context=context)
        else:
            smtp = _SMTP(self.host, timeout=self.timeout)
        self._opening = smtp
        try:
            smtp.connect(self.host, self.port)
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
        except smtplib.SMTPResponseException as error:
            smtp.close()
            # A refused login or greeting is about our account, never about one recipient.
            raise SendFailure(Stage.CONNECT, error.smtp_code, _decode(error.smtp_error)) from error
        except (smtplib.SMTPException, OSError) as error:
            smtp.close()
            reply = f"cannot connect to {self.host}:{self.port}: {error}"
            raise SendFailure(Stage.CONNECT, None, reply) from error
        finally:
            self._opening = None
        return smtp

    def _send_once(self, message: Outgoing, before_data: BeforeData | None) -> None:
        if self._smtp is None:
            if self.waiting is not None:
                self.waiting.on_server()
            self._smtp = self._connect()
        if self._interrupted.is_set():  # cut while the connection was being opened
            raise Interrupted(False)
        self._handing_over = True
        smtp = self._smtp
        smtp.before_data, smtp.waiting = before_data, self.waiting
        try:
            refused = smtp.sendmail(message.sender, [message.recipient], message.raw)
        except Withdrawn:
            try:  # the envelope goes; the connection stays for the next message
                smtp.rset()
            except (smtplib.SMTPException, OSError):
                self._abandon()
            raise
        finally:
            smtp.before_data = smtp.waiting = None
        if refused:  # only some recipients refused; we send to one, but be exact
            code, reply = next(iter(refused.values()))
            raise SendFailure(Stage.RCPT, code, _decode(reply))

    def send(self, message: Outgoing, before_data: BeforeData | None = None) -> None:
        """Send one message; reconnect once if the connection was dropped.

        After interrupt(), raises Interrupted instead of anything the cut connection caused.
        """
        self._handing_over = False
        try:
            self._send(message, before_data)
        except SendFailure as failure:
            # A reply the server gave stands; a lost connection after interrupt() was ours.
            if failure.code is None and self._interrupted.is_set():
                raise Interrupted(self._handing_over) from failure
            raise

    def interrupt(self) -> None:
        """From another thread: shut the connection's socket down, so a send waiting on a
        silent server returns at once; this transport sends nothing more."""
        self._interrupted.set()
        for smtp in (self._smtp, self._opening):
            sock = getattr(smtp, "sock", None)
            if sock is not None:
                try:  # the plain socket's shutdown: the SSL layer stays with its own thread
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:  # already closed
                    pass

    def _send(self, message: Outgoing, before_data: BeforeData | None) -> None:
        for attempt in (1, 2):
            if self._interrupted.is_set():
                raise Interrupted(self._handing_over)
            try:
                self._send_once(message, before_data)
                return
            except smtplib.SMTPRecipientsRefused as error:
                code, reply = next(iter(error.recipients.values()))
                raise SendFailure(Stage.RCPT, code, _decode(reply)) from error
            except smtplib.SMTPSenderRefused as error:
                raise SendFailure(Stage.MAIL, error.smtp_code, _decode(error.smtp_error)) from error
            except smtplib.SMTPDataError as error:
                raise SendFailure(Stage.DATA, error.smtp_code, _decode(error.smtp_error)) from error
            except smtplib.SMTPResponseException as error:  # e.g. HELO refused mid-session
                raise SendFailure(Stage.CONNECT, error.smtp_code,
                                  _decode(error.smtp_error)) from error
            except TimeoutError as error:  # a server that stopped answering: do not wait twice
                self._abandon()
                silent = f"no answer from {self.host}:{self.port} in {self.timeout:g} s"
                raise SendFailure(Stage.CONNECT, None, silent) from error
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                self.close()
                if attempt == 2 or self._interrupted.is_set():
                    raise SendFailure(Stage.CONNECT, None, f"connection lost: {error}") from error
            except smtplib.SMTPException as error:
                raise SendFailure(Stage.CONNECT, None, str(error)) from error

    def _abandon(self) -> None:
        """Drop the connection without a QUIT the server would not answer either."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def close(self) -> None:
        """Say QUIT (politely, ignoring a dead connection) and forget the connection."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


class OutboxTransport(Transport):
    """The dev outbox: each message becomes an `.eml` file in a folder."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def send(self, message: Outgoing, before_data: BeforeData | None = None) -> None:
        """Write the message as `<UTC timestamp>-<uuid>.eml`, atomically."""
        if before_data is not None and not before_data():
            raise Withdrawn()
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        partial = path.with_suffix(".eml.part")
        try:
            partial.write_bytes(message.raw)
            partial.replace(path)  # a reader never sees half a file
        except OSError as error:
            reply = f"cannot write to the outbox {self.directory}: {error}"
            raise SendFailure(Stage.CONNECT, None, reply) from error


def open_transport(smtp_url: str | None, outbox_dir: str | Path, timeout: float) -> Transport:
    """SMTP when SMTP_URL is set (each reply awaited at most `timeout` s), else the outbox."""
    if smtp_url:
        return SMTPTransport(smtp_url, timeout=timeout)
    return OutboxTransport(outbox_dir)
