"""Reading an SMTP refusal: retry it, fail the one message, or suppress the address.

Pure: a reply in, a verdict out. Only a permanent failure of the mailbox itself suppresses
(RFC 3463: 5.1.x addressing, 5.2.1 mailbox disabled; or a bare 5xx to RCPT). A policy
refusal (5.7.x: SPF, DKIM, DMARC, spam) or a refusal at DATA is about our mail, not the
address: that message fails and nobody is suppressed. A full mailbox (5.2.2) is retried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})(?!\S)")


class Stage(StrEnum):
    """Where in the SMTP conversation the server refused."""

    CONNECT = "connect"  # no connection, greeting, STARTTLS or login
    MAIL = "mail"  # MAIL FROM: our sender
    RCPT = "rcpt"  # RCPT TO: the recipient's mailbox
    DATA = "data"  # the message itself


class Outcome(StrEnum):
    RETRY = "retry"  # try this message again later
    FAIL = "fail"  # this message will never go; the address stays
    SUPPRESS = "suppress"  # the mailbox does not exist or is disabled: never mail it again


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    policy: bool = False  # the server refuses our mail: a few in a row stop the pass
    halt: bool = False  # the server is not usable now: stop the pass, keep the rest queued


def enhanced_status(reply: str) -> tuple[int, int, int] | None:
    """The RFC 3463 status a reply text starts with ("5.1.1 …" -> (5, 1, 1)), if any."""
    found = _ENHANCED.match(reply)
    return (int(found[1]), int(found[2]), int(found[3])) if found else None


def summary(code: int | None, reply: str) -> str:
    """The code and enhanced status of a refusal ("550 5.1.1"), without the server's text.

    What may be kept or shown: a server's text often quotes the recipient's address.
    """
    status = enhanced_status(reply)
    text = f"{code or ''} {'.'.join(map(str, status)) if status else ''}".strip()
    return text or "no reply"


def classify(stage: Stage, code: int | None, reply: str) -> Verdict:
    """What to do with a message the server did not accept."""
    if code is None or stage == Stage.CONNECT:
        return Verdict(Outcome.RETRY, halt=True)  # unreachable or our account refused
    status = enhanced_status(reply)
    if code < 500 or status == (5, 2, 2):
        return Verdict(Outcome.RETRY)
    if status is not None and status[1] == 7:
        return Verdict(Outcome.FAIL, policy=True)
    if stage == Stage.MAIL:
        return Verdict(Outcome.RETRY, policy=True)  # our sender refused: not this message
    if stage == Stage.DATA:
        return Verdict(Outcome.FAIL, policy=True)
    if status is None or status[1] == 1 or status[1:] == (2, 1):
        return Verdict(Outcome.SUPPRESS)
    return Verdict(Outcome.FAIL)  # e.g. 5.3.4 too big, 5.4.x routing: not the mailbox's fault
