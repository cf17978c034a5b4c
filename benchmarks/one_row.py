"""The load benchmark's second reference: the bare endpoint plus the least any stored
signup must do, one row written and committed, with nothing in between (psycopg on a
connection per thread, the statement prepared, autocommit). Served by the same command as
the service; the benchmark makes its table (TABLE) first."""

from __future__ import annotations

import os
import threading
from typing import Any

import psycopg
from flask import Flask, request
from psycopg.types.json import Jsonb

TABLE = "load_one_row"
INSERT = f"INSERT INTO {TABLE} (email, body) VALUES (%s, %s)"

app = Flask(__name__)
_connections = threading.local()


def _connection() -> psycopg.Connection[Any]:
    if not hasattr(_connections, "open"):
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        _connections.open = psycopg.connect(url, autocommit=True)
    connection: psycopg.Connection[Any] = _connections.open
    return connection


@app.post("/subscribe")
def subscribe() -> tuple[dict[str, Any], int]:
    """Read the body as the signup does, store it as one row, answer as the signup answers."""
    data = request.get_json(silent=True) or {}
    _connection().execute(INSERT, (str(data.get("email")), Jsonb(data)), prepare=True)
    return {"status": "ok", "message": "Thank you. Please check your inbox."}, 200


@app.get("/healthz")
def healthz() -> str:
    return "ok\n"
