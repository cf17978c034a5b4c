"""Access logs without link tokens: a personal link opens someone's data for a year.

gunicorn (the Procfile's web server) logs through RedactingLogger; the development server
(Werkzeug, `flask run`) through a filter on its logger. Both log `/preferences/[token]`.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

# The pages whose path segment after the prefix is a signed token.
_TOKEN_PATH = re.compile(r"(/(?:confirm|unsubscribe|preferences)/)[^/\s?#\"']+")
REDACTED = "[token]"


def redact(text: str) -> str:
    """The text with every link token replaced by [token]."""
    return _TOKEN_PATH.sub(rf"\g<1>{REDACTED}", text)


class RedactingLogger(GunicornLogger):
    """gunicorn's logger, with tokens taken out of every atom (request line, path, Referer…)."""

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(v) if isinstance(v, str) else v for key, v in atoms.items()}


class RedactTokens(logging.Filter):
    """Takes link tokens out of a log record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def init_app() -> None:
    """Redact the development server's request log (once per process)."""
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactTokens) for f in werkzeug.filters):
        werkzeug.addFilter(RedactTokens())
