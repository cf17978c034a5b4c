"""Database details the dispatch pass relies on: SQLite settings and taking the write lock."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, scoped_session


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL lets readers run beside the one writer; busy_timeout makes writers queue, not fail.

    synchronous=NORMAL is durable against a killed process (what the outbox must survive);
    only a power cut may lose the last commits, and then at worst a message is sent again.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def is_postgres(session: Session) -> bool:
    """Whether the session talks to PostgreSQL (row locks with SKIP LOCKED are available)."""
    return session.get_bind().dialect.name == "postgresql"


def begin_write(session: Session) -> None:
    """Start a transaction that will write, taking SQLite's write lock up front.

    A deferred SQLite transaction that reads and then writes fails at once (SQLITE_BUSY,
    no waiting) if another process wrote in between; BEGIN IMMEDIATE waits its turn instead.
    PostgreSQL needs nothing here: its claims lock rows with FOR UPDATE SKIP LOCKED.
    """
    if isinstance(session, scoped_session):  # Flask-SQLAlchemy's db.session()
        session = session()
    if session.in_transaction():
        session.commit()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
