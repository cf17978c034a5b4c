"""Typo suggestions for addresses: only near-misses of big providers, never a real domain."""

from __future__ import annotations

import pytest

from service.subscriptions.typos import PROVIDERS, edit_distance, suggest


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("maria@gmial.con", "maria@gmail.com"),  # a swap and a slip of the TLD
        ("maria@gmai.com", "maria@gmail.com"),
        ("maria@gamil.com", "maria@gmail.com"),
        ("maria@gmail.co", "maria@gmail.com"),
        ("maria@hotmial.com", "maria@hotmail.com"),
        ("maria@yaho.com", "maria@yahoo.com"),
        ("maria@yahoo.co", "maria@yahoo.com"),  # .co: a TLD slip, not yahoo.ca
        ("maria@outlok.com", "maria@outlook.com"),
        ("maria@icloud.con", "maria@icloud.com"),
        ("maria@comcast.nt", "maria@comcast.net"),
        ("maria@verizon.ner", "maria@verizon.net"),
        ("Maria.Lee@GMIAL.COM", "Maria.Lee@gmail.com"),  # the local part is kept as typed
        ("maria@gmail.com", None),  # right already
        ("maria@mail.com", None),  # a provider one edit from gmail.com is still a provider
        ("maria@email.com", None),  # a real domain near two providers
        ("maria@gmx.net", None),
        ("maria@calmhands.example", None),  # a domain we do not know: no guess
        ("maria@clinic.co", None),
        ("maria@uni.edu", None),
        ("bob@ibm.com", None),  # short domains are near everything: one edit at most
        ("not an address", None),
        ("@gmial.con", None),
        ("maria@", None),
    ],
)
def test_suggest(typed: str, suggested: str | None) -> None:
    assert suggest(typed) == suggested


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("gmail", "gmail", 0), ("gmial", "gmail", 1), ("gmai", "gmail", 1), ("gmaill", "gmail", 1),
     ("gnail", "gmail", 1), ("ab", "ba", 1), ("gmial.con", "gmail.com", 2), ("", "abc", 3)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance == edit_distance(b, a)


def test_no_provider_is_corrected_into_another() -> None:
    assert [p for p in PROVIDERS if suggest(f"x@{p}")] == []
