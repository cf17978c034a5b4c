"""Addresses the mail server refused for good, remembered past erasure as keyed hashes.

A suppression row holds HMAC-SHA256(key, normalised address), the key derived from
SECRET_KEY: the same address always finds its row, yet the table reads back as no
address (a plain hash of an address can be reversed by hashing a list of addresses).

Key rotation: rows are written under SECRET_KEY and looked up under SECRET_KEY and every
SECRET_KEY_FALLBACKS key, so rotating keeps every suppression while the old key stays a
fallback. A row found under an old key is stored again under the current one, so addresses
that come by again are carried over; retiring an old key forgets only the rows never seen since.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.delivery.queueing import cancel_queued
from service.mail.bounces import summary
from service.models import Enrolment, Subscriber, SubscriberStatus, Suppression


def _key(secret_key: str) -> bytes:
    return hashlib.sha256(b"suppression-address-key\0" + secret_key.encode()).digest()


def address_hash(secret_key: str, email: str) -> str:
    """The keyed hash a suppression is stored under; `email` as stored (normalised)."""
    address = email.strip().lower().encode()
    return hmac.new(_key(secret_key), address, hashlib.sha256).hexdigest()


Keys = str | Sequence[str]  # SECRET_KEY, or SECRET_KEY then its fallbacks


def _keys(keys: Keys) -> list[str]:
    return [keys] if isinstance(keys, str) else list(keys)


def address_hashes(keys: Keys, email: str) -> list[str]:
    """The hashes an address's suppression may be stored under: one per key."""
    return [address_hash(key, email) for key in _keys(keys)]


def is_suppressed(session: Session, keys: Keys, email: str) -> bool:
    """Whether this address was refused for good, even by a subscriber since erased."""
    return bool(suppressed_among(session, keys, [email]))


def suppressed_among(session: Session, keys: Keys, emails: Iterable[str]) -> set[str]:
    """Those of `emails` that are suppressed under any key (one query for a batch)."""
    all_keys = _keys(keys)
    emails = list(emails)
    hashes = {address_hash(key, email): (email, key) for key in all_keys for email in emails}
    if not hashes:
        return set()
    found = list(session.execute(
        select(Suppression.address_hash, Suppression.reason, Suppression.created_at)
        .where(Suppression.address_hash.in_(list(hashes)))
    ))
    current = {hashes[row.address_hash][0] for row in found
               if hashes[row.address_hash][1] == all_keys[0]}
    for row in found:  # found under an old key only: keep it under the current key too
        email = hashes[row.address_hash][0]
        if email not in current:
            _insert_hash(session, address_hash(all_keys[0], email), row.reason, row.created_at)
            current.add(email)
    return current


def _insert_hash(session: Session, value: str, reason: str, at: datetime) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(Suppression).values(
        address_hash=value, reason=reason, created_at=at,
    ).on_conflict_do_nothing(index_elements=["address_hash"]))


def suppress(
    session: Session, keys: Keys, subscriber_id: int, code: int | None, reply: str,
    now: datetime,
) -> None:
    """The mailbox was refused for good: remember it, mark the subscriber, cancel the queue.

    Flushes only; the caller commits.
    """
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return
    _insert_hash(session, address_hash(_keys(keys)[0], subscriber.email),
                 summary(code, reply)[:40], now)
    subscriber.status = SubscriberStatus.SUPPRESSED
    subscriber.suppressed_at = now
    subscriber.suppressed_reason = f"{code} {reply}"[:500] if code else reply[:500]
    cancel_queued(session, subscriber_id)
    session.execute(
        update(Enrolment).where(Enrolment.subscriber_id == subscriber_id).values(next_due_at=None)
    )
    session.flush()
