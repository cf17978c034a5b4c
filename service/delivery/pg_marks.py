"""Statements sent to PostgreSQL now and answered later, on one connection of our own.

The dispatch pass records "sent" for each message with one autocommitted UPDATE. Waiting
for its answer before the next message starts left the SMTP connection idle for a
database round trip per message. Here the UPDATE goes out at once (libpq's
PQsendQueryPrepared, through psycopg's `pq` layer, which psycopg itself is built on) and
its answer is read when it is needed: just before the next message's content goes. The
statement has then long reached the server in full, and PostgreSQL runs and commits a
statement it has received even if the sending process is killed meanwhile.
"""

from __future__ import annotations

import itertools
import select
from datetime import datetime
from enum import Enum
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import Update
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

# $1, $2 … placeholders, each with its type cast written in, so text parameters suffice.
_NUMBERED = postgresql_psycopg.dialect(paramstyle="numeric_dollar")
_names = itertools.count(1)


def _as_text(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime):
        return value.isoformat().encode()
    return str(value).encode()


def _check(result: pq.abc.PGresult | None) -> pq.abc.PGresult:
    if result is None:
        raise psycopg.OperationalError("the server sent no result")
    if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        raise psycopg.errors.error_from_result(result, encoding="utf-8")
    return result


class Deferred:
    """Prepared UPDATEs on `connection` (autocommit, used by nothing else meanwhile), sent
    with `send` and answered by `answer`; at most one is outstanding at a time."""

    def __init__(self, connection: psycopg.Connection[Any],
                 statements: dict[str, Update]) -> None:
        self.pgconn = connection.pgconn
        self.outstanding = False
        self._prepared: dict[str, tuple[bytes, tuple[str, ...], dict[str, Any]]] = {}
        for key, statement in statements.items():
            compiled = statement.compile(dialect=_NUMBERED)
            name = f"deferred_mark_{next(_names)}".encode()
            _check(self.pgconn.prepare(name, str(compiled).encode()))
            self._prepared[key] = (name, tuple(compiled.positiontup or ()), dict(compiled.params))

    def send(self, key: str, values: dict[str, Any]) -> None:
        """Send statement `key` with `values` (the rest as compiled in); no waiting. The
        previous statement's answer must have been read (`answer`) first."""
        if self.outstanding:
            raise RuntimeError("the previous statement's answer has not been read")
        name, order, fixed = self._prepared[key]
        params = [_as_text(values[p] if p in values else fixed[p]) for p in order]
        self.pgconn.send_query_prepared(name, params)  # flushed to the server at once
        self.outstanding = True

    def answer(self) -> str | None:
        """The outstanding statement's outcome: the first value it returned, if any; raises
        what PostgreSQL answered if it failed. None when nothing is outstanding."""
        if not self.outstanding:
            return None
        self.outstanding = False
        pgconn = self.pgconn
        pgconn.consume_input()
        if pgconn.is_busy():  # wait in poll(), which lets the other threads run
            readable = select.poll()
            readable.register(pgconn.socket, select.POLLIN)
            while pgconn.is_busy():
                readable.poll()
                pgconn.consume_input()
        result = pgconn.get_result()
        while pgconn.get_result() is not None:  # the end of this statement's results
            pass
        _check(result)
        assert result is not None
        if result.status == pq.ExecStatus.TUPLES_OK and result.ntuples:
            value = result.get_value(0, 0)
            return value.decode() if value is not None else None
        return None

    def close(self) -> None:
        """Read any answer still due and drop the prepared statements, so the connection
        goes back to the pool as it came."""
        try:
            self.answer()
        finally:
            for name, _, _ in self._prepared.values():
                _check(self.pgconn.exec_(b"DEALLOCATE " + name))
