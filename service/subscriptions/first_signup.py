"""The first signup of an address: its subscriber, consent record and confirmation, with
nothing read first.

Most signups are for an address the list has never seen. For those the general path
(`operations.sign_up`) would read the suppression list, look the address up, count the
day's confirmations and insert through the ORM's unit of work, for rows that cannot exist
yet. Here `INSERT … SELECT … WHERE NOT EXISTS (a suppression) ON CONFLICT (email) DO
NOTHING` adds the subscriber only when the address is neither suppressed (under any key)
nor on the list, and its consent record and confirmation follow. A subscriber added by
this very statement has had no confirmation, so the daily cap needs no count. When it adds
nobody the caller takes the general path, which finds out why (and, for a suppression found
only under an old key, stores it under the current one).

On PostgreSQL the three INSERTs are one statement (data-modifying WITH clauses). Run alone
in autocommit (`committing`), that statement is its own transaction, so a signup is one
round trip: no BEGIN, no COMMIT. SQLite runs them one after another in a transaction.

A signup for the same new address at the same moment waits on the unique email, then adds
nobody and goes the general path: it finds the row the other one committed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Insert,
    Select,
    String,
    any_,
    bindparam,
    cast,
    exists,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from service.delivery.queueing import outbox_row, queue_first_confirmation
from service.models import (
    Consent,
    Delivery,
    MessageKind,
    Subscriber,
    SubscriberStatus,
    Suppression,
)
from service.models.subscriber import new_public_id

# What a signup sets on its subscriber; the model's defaults fill in the rest (scalars).
_GIVEN = ("public_id", "email", "first_name", "timezone", "status", "created_at",
          "course_enabled", "newsletter_enabled")
# The consent record's columns a signup fills (service.subscriptions.operations).
CONSENT_COLUMNS = ("form", "text_version", "text", "method", "submitted", "ip_address",
                   "given_at")
# The confirmation's outbox columns, but its subscriber and key.
_OUTBOX = tuple(outbox_row(MessageKind.CONFIRMATION, datetime.min))


def _params(table: Any, names: Sequence[str], prefix: str = "") -> list[Any]:
    """Typed bind parameters for `names` of `table`, named `prefix + name`."""
    return [bindparam(prefix + name, type_=table.c[name].type) for name in names]


def _subscriber_row(suppressed: ColumnElement[bool]) -> tuple[list[str], Select[Any]]:
    """The columns and the one-row SELECT that adds a subscriber unless `suppressed`."""
    table = Subscriber.__table__
    defaults = {column.name: column.default.arg for column in table.columns
                if column.name not in _GIVEN and column.default is not None
                and column.default.is_scalar}
    row = select(
        *_params(table, _GIVEN),
        *(bindparam(name, value, type_=table.c[name].type) for name, value in defaults.items()),
    ).where(~exists().where(suppressed))
    return [*_GIVEN, *defaults], row


@cache
def _subscriber_insert() -> Insert:
    """SQLite: the subscriber alone. Built once: the statement takes bind parameters only."""
    names, row = _subscriber_row(
        Suppression.address_hash.in_(bindparam("hashes", expanding=True)))
    return (sqlite.insert(Subscriber).from_select(names, row, include_defaults=False)
            .on_conflict_do_nothing(index_elements=["email"]).returning(Subscriber.id))


@cache
def _all_in_one() -> Insert:
    """PostgreSQL: the subscriber, its consent and its confirmation in one statement.

    Built once, like _subscriber_insert; the confirmation's key is made by the database,
    as the prefix confirmation_key() gives followed by the new consent record's id.
    """
    # = ANY(array): one parameter, so the SQL is the same for any number of keys and
    # needs no rewriting at each execution, as IN's expanding list would.
    names, row = _subscriber_row(
        Suppression.address_hash == any_(bindparam("hashes", type_=postgresql.ARRAY(String))))
    added = (postgresql.insert(Subscriber).from_select(names, row, include_defaults=False)
             .on_conflict_do_nothing(index_elements=["email"])
             .returning(Subscriber.id).cte("added"))
    agreed = (insert(Consent).from_select(
        ["subscriber_id", *CONSENT_COLUMNS],
        select(added.c.id, *_params(Consent.__table__, CONSENT_COLUMNS, "consent_")))
        .returning(Consent.id, Consent.subscriber_id).cte("agreed"))
    key = bindparam("key_prefix", type_=String) + cast(agreed.c.id, String)
    queued = select(agreed.c.subscriber_id, key, *_params(Delivery.__table__, _OUTBOX, "outbox_"))
    return (insert(Delivery).from_select(["subscriber_id", "idempotency_key", *_OUTBOX], queued,
                                         include_defaults=False)
            .add_cte(added, agreed).returning(Delivery.id))


def confirmation_key(public_id: str, consent_id: int | str) -> str:
    """The outbox key of a signup's confirmation: one per consent record."""
    return f"confirmation:{public_id}:{consent_id}"


def record(
    connection: Connection, *, email: str, first_name: str, timezone: str,
    newsletter_only: bool, hashes: Sequence[str], consent: dict[str, Any], now: datetime,
) -> bool:
    """Add the subscriber, its consent record and its confirmation if the address is new
    and not suppressed; False (and nothing written) otherwise.

    `hashes` are the address's suppression hashes under every key; `consent` the consent
    record's CONSENT_COLUMNS. Core statements on `connection`, which the caller commits;
    no Session's identity map changes.
    """
    public_id = new_public_id()
    subscriber = {
        "public_id": public_id, "email": email, "first_name": first_name,
        "timezone": timezone, "status": SubscriberStatus.PENDING, "created_at": now,
        "course_enabled": not newsletter_only, "newsletter_enabled": newsletter_only,
        "hashes": list(hashes),
    }
    if connection.dialect.name == "postgresql":
        outbox = outbox_row(MessageKind.CONFIRMATION, now)
        return connection.execute(_all_in_one(), {
            **subscriber,
            **{f"consent_{name}": consent[name] for name in CONSENT_COLUMNS},
            **{f"outbox_{name}": outbox[name] for name in _OUTBOX},
            "key_prefix": confirmation_key(public_id, ""),
        }).scalar() is not None
    subscriber_id = connection.execute(_subscriber_insert(), subscriber).scalar()
    if subscriber_id is None:
        return False
    consent_id = connection.execute(
        insert(Consent).returning(Consent.id), {**consent, "subscriber_id": subscriber_id}
    ).scalar_one()
    queue_first_confirmation(connection, subscriber_id, now,
                             key=confirmation_key(public_id, consent_id))
    return True


@contextmanager
def committing(engine: Engine) -> Iterator[Connection]:
    """A connection of its own whose work is committed when the block ends.

    On PostgreSQL it is in autocommit: record() is one statement there, and a statement
    alone is a transaction, so no BEGIN and COMMIT go back and forth: a signup is one
    round trip. SQLite's three statements share one transaction.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection
    else:
        with engine.begin() as connection:
            yield connection
