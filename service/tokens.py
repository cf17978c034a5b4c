"""Signed, expiring links: each names one subscriber and one purpose."""

from __future__ import annotations

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


def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"subscriber-{purpose}")


def make_token(secret_key: str, purpose: str, public_id: str) -> str:
    """Sign a subscriber's public id for one purpose."""
    return _serializer(secret_key, purpose).dumps(public_id)


def read_token(secret_key: str, purpose: str, token: str) -> str:
    """Return the public id a token names, or raise InvalidToken / ExpiredToken."""
    try:
        value = _serializer(secret_key, purpose).loads(token, max_age=MAX_AGE[purpose])
    except SignatureExpired as error:
        raise ExpiredToken(EXPIRED, purpose) from error
    except BadSignature as error:
        raise InvalidToken(NOT_VALID) from error
    if not isinstance(value, str):
        raise InvalidToken(NOT_VALID)
    return value


def read_token_any_age(secret_key: str, purpose: str, token: str) -> str:
    """Like read_token, but a genuine signature of any age is accepted.

    Only for stopping mail: an unsubscribe must never fail because the email was old.
    """
    try:
        value = _serializer(secret_key, purpose).loads(token)
    except BadSignature as error:
        raise InvalidToken(NOT_VALID) from error
    if not isinstance(value, str):
        raise InvalidToken(NOT_VALID)
    return value
