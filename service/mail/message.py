"""Build the MIME message: text part first, HTML last, and the headers every mail needs."""

from __future__ import annotations

import email.policy
import re
import unicodedata
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

# Lines up to RFC 5322's hard limit of 998, so List-Unsubscribe is never folded: folding it
# has broken DKIM checks at some signers. SMTP policy: CRLF line ends, as on the wire.
POLICY = email.policy.SMTP.clone(max_line_length=998)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean_name(name: str | None, limit: int = 60) -> str:
    """A display name safe for a header: no control characters (CR, LF, tab…), one line."""
    text = unicodedata.normalize("NFC", name or "")
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())[:limit].strip()


def sender_domain(mail_from: str) -> str:
    """The domain of MAIL_FROM, for Message-ID and List-Id."""
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def recipient(address: str, first_name: str | None) -> Address:
    """The To address with the first name as display name; a bad address raises ValueError."""
    if _CONTROL.search(address):
        raise ValueError("an email address cannot contain control characters")
    return Address(display_name=clean_name(first_name), addr_spec=address)


def build_message(
    *,
    mail_from: str,
    to: Address,
    subject: str,
    text: str,
    html: str,
    now: datetime,
    list_unsubscribe: str | None = None,
    list_id: str | None = None,
) -> EmailMessage:
    """One multipart/alternative message; bulk mail (list_unsubscribe set) gets the list headers."""
    message = EmailMessage(policy=POLICY)
    message["From"] = mail_from
    message["To"] = to
    message["Subject"] = clean_name(subject, limit=200)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender_domain(mail_from))
    if list_id:
        message["List-Id"] = list_id
    if list_unsubscribe:
        message["List-Unsubscribe"] = list_unsubscribe
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


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
