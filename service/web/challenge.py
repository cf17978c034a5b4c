"""An optional proof of work for the public signup forms (ALTCHA-style), all self-hosted.

With SIGNUP_CHALLENGE=on, a form fetches a signed challenge from /challenge.json and the
browser (static/challenge.js) finds the number n with SHA-256(salt + n) = challenge; the
form sends n with the challenge. A person waits a moment; a script that signs up thousands
of addresses pays for each one. No third party sees anything. Each answer works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from service.web import rate_limits

bp = Blueprint("challenge", __name__)

MAX_NUMBER = 100_000  # about 50,000 hashes on average: well under a second in a browser
LIFETIME = 600  # seconds a challenge can be answered
FIELD = "altcha"
UNSOLVED = ("Please wait a moment for the form's check to finish (it needs JavaScript "
            "switched on), then send it again.")


def enabled() -> bool:
    """Whether the clinic switched the challenge on (SIGNUP_CHALLENGE=on)."""
    return bool(current_app.config.get("SIGNUP_CHALLENGE"))


def _key() -> bytes:
    return hashlib.sha256(b"signup-challenge\0" + str(current_app.config["SECRET_KEY"]).encode()
                          ).digest()


def _sign(challenge: str) -> str:
    return hmac.new(_key(), challenge.encode(), hashlib.sha256).hexdigest()


def new_challenge(now: float) -> dict[str, Any]:
    """A fresh challenge, signed so that the server keeps nothing until it is answered."""
    salt = f"{secrets.token_hex(12)}?expires={int(now) + LIFETIME}"
    number = secrets.randbelow(MAX_NUMBER)
    challenge = hashlib.sha256(f"{salt}{number}".encode()).hexdigest()
    return {"algorithm": "SHA-256", "challenge": challenge, "salt": salt,
            "signature": _sign(challenge), "maxnumber": MAX_NUMBER}


def _first_use(challenge: str) -> bool:
    # In the rate-limit counters, so that with a shared store an answer works once across
    # every worker; while that store is down, once per process (rate_limits falls back).
    return rate_limits.first_use(f"signup-challenge/{challenge}", LIFETIME)


def solved(answer: object, now: float) -> bool:
    """Whether `answer` (base64 JSON from the form) solves a challenge we signed, once."""
    if not isinstance(answer, str) or not answer or len(answer) > 1000:
        return False
    try:
        given = json.loads(base64.b64decode(answer, validate=True))
        challenge, salt, number = str(given["challenge"]), str(given["salt"]), int(given["number"])
        signature = str(given["signature"])
        expires = int(salt.rsplit("?expires=", 1)[1])
    except (ValueError, KeyError, TypeError, IndexError):
        return False
    if not hmac.compare_digest(signature, _sign(challenge)) or expires < now:
        return False
    if hashlib.sha256(f"{salt}{number}".encode()).hexdigest() != challenge:
        return False
    return _first_use(challenge)


@bp.get("/challenge.json")
def new() -> Response:
    """A challenge for one signup; CORS for the clinic's site, whose pasted form asks too."""
    response = jsonify(new_challenge(time.time()))
    response.headers["Cache-Control"] = "no-store"
    origin = request.headers.get("Origin")
    if origin and origin in current_app.config["ALLOWED_ORIGINS"]:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    return response
