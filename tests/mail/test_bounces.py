"""Which refusals suppress an address, which fail one message, which are retried."""

from __future__ import annotations

import pytest

from service.mail.bounces import Outcome, Stage, Verdict, classify, enhanced_status

RETRY, FAIL, SUPPRESS = Outcome.RETRY, Outcome.FAIL, Outcome.SUPPRESS


@pytest.mark.parametrize(
    ("stage", "code", "reply", "expected"),
    [
        # The mailbox itself, for good: suppress.
        (Stage.RCPT, 550, "5.1.1 <ann@example.com>: user unknown", Verdict(SUPPRESS)),
        (Stage.RCPT, 550, "5.1.10 Recipient address rejected: null MX", Verdict(SUPPRESS)),
        (Stage.RCPT, 553, "5.1.3 Bad recipient address syntax", Verdict(SUPPRESS)),
        (Stage.RCPT, 550, "5.2.1 Mailbox disabled", Verdict(SUPPRESS)),
        (Stage.RCPT, 550, "No such user here", Verdict(SUPPRESS)),
        # A full mailbox, or any 4xx: later.
        (Stage.RCPT, 552, "5.2.2 Mailbox full", Verdict(RETRY)),
        (Stage.DATA, 552, "5.2.2 Over quota", Verdict(RETRY)),
        (Stage.RCPT, 451, "4.3.0 Try again later", Verdict(RETRY)),
        (Stage.RCPT, 450, "Greylisted", Verdict(RETRY)),
        (Stage.DATA, 421, "4.7.0 Too many messages, slow down", Verdict(RETRY)),
        # Policy: our mail is refused, nobody is suppressed.
        (Stage.DATA, 550, "5.7.26 Unauthenticated email is not accepted (DMARC)",
         Verdict(FAIL, policy=True)),
        (Stage.RCPT, 550, "5.7.1 Relaying denied", Verdict(FAIL, policy=True)),
        (Stage.RCPT, 554, "5.7.1 Message rejected as spam", Verdict(FAIL, policy=True)),
        (Stage.DATA, 554, "Transaction failed", Verdict(FAIL, policy=True)),
        (Stage.DATA, 550, "5.1.1 user unknown", Verdict(FAIL, policy=True)),  # DATA: never
        (Stage.MAIL, 550, "5.1.8 Sender address rejected", Verdict(RETRY, policy=True)),
        # Other permanent refusals at RCPT: this message only.
        (Stage.RCPT, 552, "5.3.4 Message too big", Verdict(FAIL)),
        (Stage.RCPT, 550, "5.4.4 Unable to route", Verdict(FAIL)),
        # No usable server: stop the pass, keep everything queued.
        (Stage.CONNECT, None, "cannot connect to 127.0.0.1:25", Verdict(RETRY, halt=True)),
        (Stage.CONNECT, 535, "5.7.8 Authentication credentials invalid",
         Verdict(RETRY, halt=True)),
        (Stage.DATA, None, "connection lost", Verdict(RETRY, halt=True)),
    ],
)
def test_classify(stage: Stage, code: int | None, reply: str, expected: Verdict) -> None:
    assert classify(stage, code, reply) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("5.1.1 No such user", (5, 1, 1)),
        ("  5.7.26 DMARC", (5, 7, 26)),
        ("4.2.2 Mailbox full", (4, 2, 2)),
        ("5.1.1", (5, 1, 1)),
        ("No such user", None),
        ("5.1 incomplete", None),
        ("5.1.1x not a status", None),
        ("", None),
    ],
)
def test_enhanced_status(reply: str, expected: tuple[int, int, int] | None) -> None:
    assert enhanced_status(reply) == expected
