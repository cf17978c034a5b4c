"""Loading a row named in an admin URL, safely for any number a visitor may type."""

from __future__ import annotations

from typing import TypeVar

from flask import abort

from service.extensions import db

T = TypeVar("T")
# The largest key SQLite and PostgreSQL (bigint) hold; a larger one would be a driver error.
MAX_KEY = 2**63 - 1


def row_or_404(model: type[T], key: int, message: str = "There is nothing here.") -> T:
    """The `model` row with primary key `key`, or a 404 page saying `message`."""
    row = db.session.get(model, key) if 0 < key <= MAX_KEY else None
    if row is None:
        abort(404, message)
    return row
