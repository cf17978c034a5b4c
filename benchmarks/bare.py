"""The baseline of the load benchmark: a bare Flask endpoint that reads a JSON body and
answers, served by the same gunicorn command as the service."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

app = Flask(__name__)


@app.post("/subscribe")
def subscribe() -> tuple[dict[str, Any], int]:
    """Read the body as the signup does, store nothing, answer as the signup answers."""
    request.get_json(silent=True)
    return {"status": "ok", "message": "Thank you. Please check your inbox."}, 200


@app.get("/healthz")
def healthz() -> str:
    return "ok\n"
