"""Signed, expiring links: each names one subscriber and one purpose."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from service.errors import ExpiredToken, InvalidToken

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"
# The List-Unsubscribe link of a newsletter: it names the list, so it stops that list only.
UNSUBSCRIBE_NEWSLETTER = "unsubscribe-newsletter"

# Seconds each kind of link stays valid. Unsubscribe links must work long after the
# mail left (CAN-SPAM: 30 days, CASL: 60 days); we keep them working for a year.
MAX_AGE = {
    CONFIRM: 7 * 24 * 3600,
    UNSUBSCRIBE: 365 * 24 * 3600,
    PREFERENCES: 365 * 24 * 3600,
    UNSUBSCRIBE_NEWSLETTER: 365 * 24 * 3600,
}


NOT_VALID = "This link is not valid. Please use the link from your email."
EXPIRED = (
    "For your privacy, the links in our emails work for a limited time, and this one is "
    "past it. We can email you a fresh one."
)


Keys = str | Sequence[str]  # SECRET_KEY, or SECRET_KEY then SECRET_KEY_FALLBACKS


@dataclass(frozen=True)
class Link:
    """What a signed link names: the subscriber, their link epoch, and (confirm) the signup."""

    public_id: str
    epoch: int = 0
    consent_id: int | None = None
    legacy: bool = False  # signed before links carried an epoch: a bare public id


def _serializer(keys: Keys, purpose: str) -> URLSafeTimedSerializer:
    return _made_serializer((keys,) if isinstance(keys, str) else tuple(keys), purpose)


@functools.lru_cache(maxsize=32)
def _made_serializer(keys: tuple[str, ...], purpose: str) -> URLSafeTimedSerializer:
    """Made once per keys and purpose: a newsletter signs two links for every recipient."""
    # itsdangerous signs with the last key of its list and verifies with any of them.
    return URLSafeTimedSerializer(list(reversed(keys)), salt=f"subscriber-{purpose}")


def make_token(
    keys: Keys, purpose: str, public_id: str, epoch: int = 0, consent_id: int | None = None
) -> str:
    """Sign a subscriber's public id and link epoch for one purpose (with the first key).

    A confirmation link also names the consent record of the signup it was sent for.
    """
    payload: list[Any] = [public_id, epoch]
    if purpose == CONFIRM:
        payload.append(consent_id)
    return _serializer(keys, purpose).dumps(payload)


def _link(value: Any) -> Link:
    if isinstance(value, str):
        return Link(value, legacy=True)
    if (isinstance(value, list) and len(value) in (2, 3) and isinstance(value[0], str)
            and type(value[1]) is int):
        consent = value[2] if len(value) == 3 else None
        if consent is None or type(consent) is int:
            return Link(value[0], value[1], consent)
    raise InvalidToken(NOT_VALID)


def read_link(keys: Keys, purpose: str, token: str, *, any_age: bool = False) -> Link:
    """What a token names, or raise InvalidToken / ExpiredToken.

    `any_age` only for stopping mail: an unsubscribe must never fail because the email was old.
    """
    serializer = _serializer(keys, purpose)
    try:
        value = serializer.loads(token) if any_age else serializer.loads(
            token, max_age=MAX_AGE[purpose])
    except SignatureExpired as error:
        raise ExpiredToken(EXPIRED, purpose) from error
    except BadSignature as error:
        raise InvalidToken(NOT_VALID) from error
    return _link(value)


def read_token(keys: Keys, purpose: str, token: str) -> str:
    """Return the public id a token names, or raise InvalidToken / ExpiredToken."""
    return read_link(keys, purpose, token).public_id


def read_token_any_age(keys: Keys, purpose: str, token: str) -> str:
    """Like read_token, but a genuine signature of any age is accepted (unsubscribe only)."""
    return read_link(keys, purpose, token, any_age=True).public_id
