"""Addresses the mail server refused for good, remembered past erasure as keyed hashes.

A suppression row holds HMAC-SHA256(key, normalised address), the key derived from
SECRET_KEY: the same address always finds its row, yet the table reads back as no
address (a plain hash of an address can be reversed by hashing a list of addresses).
Changing SECRET_KEY forgets every suppression, as it invalidates every link.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
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


def is_suppressed(session: Session, secret_key: str, email: str) -> bool:
    """Whether this address was refused for good, even by a subscriber since erased."""
    return session.get(Suppression, address_hash(secret_key, email)) is not None


def suppressed_among(session: Session, secret_key: str, emails: Iterable[str]) -> set[str]:
    """Those of `emails` that are suppressed (one query for a batch)."""
    hashes = {address_hash(secret_key, email): email for email in emails}
    if not hashes:
        return set()
    found = session.scalars(
        select(Suppression.address_hash).where(Suppression.address_hash.in_(list(hashes)))
    )
    return {hashes[value] for value in found}


def suppress(
    session: Session, secret_key: str, subscriber_id: int, code: int | None, reply: str,
    now: datetime,
) -> None:
    """The mailbox was refused for good: remember it, mark the subscriber, cancel the queue.

    Flushes only; the caller commits.
    """
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(Suppression).values(
        address_hash=address_hash(secret_key, subscriber.email),
        reason=summary(code, reply)[:40], created_at=now,
    ).on_conflict_do_nothing(index_elements=["address_hash"]))
    subscriber.status = SubscriberStatus.SUPPRESSED
    subscriber.suppressed_at = now
    subscriber.suppressed_reason = f"{code} {reply}"[:500] if code else reply[:500]
    cancel_queued(session, subscriber_id)
    session.execute(
        update(Enrolment).where(Enrolment.subscriber_id == subscriber_id).values(next_due_at=None)
    )
    session.flush()
