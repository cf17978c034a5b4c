"""Hand messages to SMTP over one reused connection, or write them to a dev outbox folder.

Withdrawn, BeforeData and Waiting (service.mail.smtp_client) are part of its interface.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from service.mail.bounces import Stage
from service.mail.message import Outgoing
from service.mail.smtp_client import BeforeData, Client, TLSClient, Waiting, Withdrawn

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
        self._smtp: Client | None = None
        self._opening: smtplib.SMTP | None = None  # the connection being opened
        self._interrupted = threading.Event()
        self._handing_over = False  # from MAIL FROM on: the server may accept the message

    def _connect(self) -> Client:
        context = ssl.create_default_context()
        # Made unconnected first, so interrupt() can reach its socket while it connects.
        smtp: Client
        if self.scheme == "smtps":
            smtp = TLSClient(self.host, timeout=self.timeout, context=context)
        else:
            smtp = Client(self.host, timeout=self.timeout)
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
            refused = smtp.sendmail(message.sender, [message.recipient],
                                   message.data_content)
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
