"""Build the raw MIME message: text part first, HTML last, and the headers every mail needs.

Bytes are assembled directly instead of through email.message.EmailMessage, whose header
parsing and pure-Python encoders cost more per message than the whole SMTP exchange. What is
the same for every recipient of one content (From, Subject, List-Id, part headers) is folded
once by the email package and cached; per recipient only To, Date, Message-ID,
List-Unsubscribe and the two bodies (C quoted-printable) are added. `Outgoing.parsed()`
gives the EmailMessage back for tests and previews.
"""

from __future__ import annotations

import binascii
import email
import email.policy
import functools
import re
import secrets
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import NamedTuple

from service.mail.data_content import DataContent, for_data

# Lines up to RFC 5322's hard limit of 998, so List-Unsubscribe is never folded: folding it
# has broken DKIM checks at some signers. SMTP policy: CRLF line ends, as on the wire.
POLICY = email.policy.SMTP.clone(max_line_length=998)
MAX_LINE = 998

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# An ASCII dot-atom style address: nothing a header or SMTP command could be split on.
_ADDRESS = re.compile(r"[^\s\x00-\x1f\x7f<>()\[\],;:\"\\@]+@[^\s\x00-\x1f\x7f<>()\[\],;:\"\\@]+\Z")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message ready for SMTP: its exact bytes and the envelope to send them with."""

    raw: bytes
    sender: str
    recipient: str
    message_id: str

    # The bytes as DATA carries them, made with the message: in the dispatch pass, by the
    # preparing thread, so the sending thread only sends them.
    data_content: DataContent = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_content", for_data(self.raw))

    def parsed(self) -> EmailMessage:
        """The message as the email package reads it (tests, previews)."""
        message = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


class Recipient(NamedTuple):
    """A checked address and its To header value."""

    address: str
    header: str


def clean_name(name: str | None, limit: int = 60) -> str:
    """A display name safe for a header: no control characters (CR, LF, tab…), one line."""
    text = unicodedata.normalize("NFC", name or "")
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())[:limit].strip()


@functools.lru_cache(maxsize=16)
def envelope_sender(mail_from: str) -> str:
    """The address of MAIL_FROM, for SMTP's MAIL FROM."""
    return parseaddr(mail_from)[1]


def sender_domain(mail_from: str) -> str:
    """The domain of MAIL_FROM, for Message-ID and List-Id."""
    return envelope_sender(mail_from).rpartition("@")[2] or "localhost"


def recipient(address: str, first_name: str | None) -> Recipient:
    """The To address with the first name as display name; a bad address raises ValueError.

    formataddr quotes specials and RFC 2047-encodes a non-ASCII name (one encoded word, as
    the email package wrote it); the cleaned name holds no CR or LF to begin with.
    """
    if not _ADDRESS.match(address):
        raise ValueError(f"not an address a header can carry: {address!r}")
    return Recipient(address, formataddr((clean_name(first_name), address), charset="utf-8"))


def _header(name: str, value: str) -> bytes:
    """One unfolded header line; refuses what could break the header block."""
    line = f"{name}: {value}\r\n".encode("ascii")  # non-ASCII must be encoded before this
    if b"\r" in line[:-2] or b"\n" in line[:-2] or len(line) - 2 > MAX_LINE:
        raise ValueError(f"{name} header cannot be sent: {value[:80]!r}")
    return line


@functools.lru_cache(maxsize=256)
def _frame(mail_from: str, subject: str, list_id: str | None,
           bulk: bool) -> tuple[bytes, bytes, bytes, bytes]:
    """What every recipient of one content shares: (headers, text part head, html part head,
    closing boundary). Folded by the email package once; the boundary contains "==", which
    quoted-printable bodies can never contain."""
    fixed = b""
    for name, value in (("From", mail_from), ("Subject", clean_name(subject, limit=200)),
                        ("List-Id", list_id)):
        if value:
            if "\r" in value or "\n" in value:
                raise ValueError(f"{name} header cannot contain a line break: {value[:80]!r}")
            folded = POLICY.header_factory(name, value).fold(policy=POLICY).encode("ascii")
            if any(len(line) > MAX_LINE for line in folded.split(b"\r\n")):
                raise ValueError(f"{name} header is too long: {value[:80]!r}")
            fixed += folded
    boundary = f"===============_{secrets.token_hex(12)}=="
    tail = b""
    if bulk:
        tail += b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    tail += (b"MIME-Version: 1.0\r\n"
             + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode())
    part = b"--%s\r\nContent-Type: text/%s; charset=\"utf-8\"\r\n" \
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    text_head = tail + part % (boundary.encode(), b"plain")
    html_head = b"\r\n" + part % (boundary.encode(), b"html")
    return fixed, text_head, html_head, f"\r\n--{boundary}--\r\n".encode()


# b2a_qp encodes a line's trailing blank after deciding where to wrap, so such a line can
# reach 78 characters; those few lines get one more soft break.
_LONG_LINE = re.compile(rb"^[^\r\n]{77,}", re.MULTILINE)  # anchored: one try per line


def _rewrap_to(line: bytes, width: int) -> bytes:
    """One encoded line cut into lines of at most `width`, never inside an "=XX" escape."""
    pieces = []
    while len(line) > width:
        cut = width - 1
        if line[cut - 1:cut] == b"=":
            cut -= 1
        elif line[cut - 2:cut - 1] == b"=":
            cut -= 2
        pieces.append(line[:cut] + b"=")
        line = line[cut:]
    return b"\r\n".join([*pieces, line])


def _rewrap(match: re.Match[bytes]) -> bytes:
    return _rewrap_to(match.group(), 76)


def _quote(data: bytes) -> bytes:
    """Quoted-printable with CRLF lines of at most 76 characters; no line starts "From "."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    encoded = binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")
    if b"=20\r\n" in encoded or b"=09\r\n" in encoded:
        encoded = _LONG_LINE.sub(_rewrap, encoded)
    if b"From " in encoded:  # a soft break after "From" keeps every line within 76
        encoded = encoded.replace(b"\r\nFrom ", b"\r\nFrom=\r\n ")
        if encoded.startswith(b"From "):
            encoded = b"From=\r\n " + encoded[5:]
    return encoded


def quoted_printable(body: str) -> bytes:
    """The body as 7-bit quoted-printable with CRLF lines of at most 76 characters.

    A lone "." line is encoded by b2a_qp; "From " at a line start gets a soft break after
    "From", so no mailbox on the way can mangle it. Stray CRs become line breaks, as the
    email package made them.
    """
    data = body.encode("utf-8")
    if not data.endswith((b"\n", b"\r")):
        data += b"\n"
    return _quote(data)


def _piece(text: str) -> bytes:
    """Part of a body, encoded to be followed by more: its last line has room for a soft
    break ("="), after which the next part starts a line of its own."""
    encoded = _quote(text.encode("utf-8"))
    if not encoded or encoded.endswith(b"\r\n"):
        return encoded
    start = encoded.rfind(b"\r\n") + 2 if b"\r\n" in encoded else 0
    if len(encoded) - start > 75:  # b2a_qp ends data on a line of up to 76
        encoded = encoded[:start] + _rewrap_to(encoded[start:], 75)
    return encoded + b"=\r\n"


@dataclass(frozen=True)
class QuotedBody:
    """A body with slots, quoted-printable encoded once: `fill` encodes only the values.

    Each part (the text between slots, and each value) starts a line of its own after a
    soft line break, which decoding removes, so the decoded body is exactly the body with
    the values in place. This saves encoding a 15 KB page again for every recipient.
    """

    parts: tuple[bytes, ...]  # encoded text around the slots: one more than `slots`
    slots: tuple[str, ...]

    @classmethod
    def encode(cls, body: str, slots: Collection[str]) -> QuotedBody:
        """Split `body` at every occurrence of the given slot names and encode the rest."""
        body = body.replace("\r\n", "\n").replace("\r", "\n")
        pattern = re.compile("|".join(re.escape(slot) for slot in slots))
        parts, found, start = [], [], 0
        for match in pattern.finditer(body):
            parts.append(_piece(body[start:match.start()]))
            found.append(match.group())
            start = match.end()
        parts.append(_quote(body[start:].encode("utf-8")))
        return cls(tuple(parts), tuple(found))

    def fill(self, values: Mapping[str, str]) -> bytes:
        """The encoded body with each slot's value (each slot must have one); like
        quoted_printable, it ends with a line break."""
        out = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:], strict=True):
            value = values[slot]
            if value:
                out.append(_piece(value))
            out.append(part)
        body = b"".join(out)
        if not body.endswith(b"\r\n") or body.endswith(b"=\r\n"):  # none, or a soft one
            body += b"\r\n"
        return body


@functools.lru_cache(maxsize=4)
def _date(now: datetime) -> str:
    """The Date header's value: one instant serves a whole claim of messages."""
    return format_datetime(now)


def build_message(
    *,
    mail_from: str,
    to: Recipient,
    subject: str,
    text: str,
    html: str,
    now: datetime,
    list_unsubscribe: str | None = None,
    list_id: str | None = None,
) -> Outgoing:
    """One multipart/alternative message; bulk mail (list_unsubscribe set) gets the list headers."""
    return build_quoted(mail_from=mail_from, to=to, subject=subject,
                        text=quoted_printable(text), html=quoted_printable(html), now=now,
                        list_unsubscribe=list_unsubscribe, list_id=list_id)


def build_quoted(
    *,
    mail_from: str,
    to: Recipient,
    subject: str,
    text: bytes,
    html: bytes,
    now: datetime,
    list_unsubscribe: str | None = None,
    list_id: str | None = None,
) -> Outgoing:
    """build_message from bodies already quoted-printable (QuotedBody.fill)."""
    fixed, text_head, html_head, closing = _frame(mail_from, subject, list_id,
                                                  list_unsubscribe is not None)
    message_id = make_msgid(domain=sender_domain(mail_from))
    head = fixed + _header("To", to.header) + _header("Date", _date(now)) \
        + _header("Message-ID", message_id)
    if list_unsubscribe is not None:
        head += _header("List-Unsubscribe", list_unsubscribe)
    raw = b"".join((head, text_head, text, html_head, html, closing))
    return Outgoing(raw, envelope_sender(mail_from), to.address, message_id)


def list_unsubscribe_header(unsubscribe_url: str, mailto: str | None = None) -> str:
    """`<https://…>` and, when configured, `, <mailto:…>` (RFC 2369 / RFC 8058)."""
    value = f"<{unsubscribe_url}>"
    if mailto:
        target = mailto if mailto.startswith("mailto:") else f"mailto:{mailto}"
        value += f", <{target}>"
    return value


def list_id_header(clinic_name: str, mail_from: str, list_name: str = "course") -> str:
    """`Clinic Name <course.clinic-domain>`, so clients can group and filter the list."""
    return f"{clean_name(clinic_name)} <{list_name}.{sender_domain(mail_from)}>"
