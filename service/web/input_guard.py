"""Malformed requests get a 400 with a clear message before any view reads them.

Werkzeug and Flask leave a few inputs to fail late, as 500s: text with an unpaired UTF-16
surrogate (valid in a JSON escape or a percent-encoded form, yet no database or mail
header can hold it) or a NUL character (PostgreSQL's text type refuses it, wherever it
comes from: the path, the query, a form or JSON), JSON nested deep enough to exhaust
Python's recursion, and a multipart part without a field name (Flask-WTF's CSRF check
trips over it).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest

MAX_JSON_DEPTH = 20  # a signup is one flat object; nothing we accept nests at all
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class MalformedRequest(BadRequest):
    """A 400 whose description says what was wrong, shown on the error page or as JSON."""


def _unstorable(text: str) -> bool:
    """Whether `text` holds a character no database column can: a lone surrogate or a NUL."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _depth_and_texts(value: Any, depth: int = 0) -> tuple[int, list[str]]:
    """How deep `value` nests, and every string in it (keys too), without recursing."""
    deepest, texts, stack = depth, [], [(value, depth)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_JSON_DEPTH:
            break
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict):
            texts.extend(str(key) for key in item)
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest, texts


def _check_json() -> None:
    try:
        # Parsed once: the view and the rate limiter's key read the same cached value. JSON
        # that does not parse is None here, and the view answers "send a JSON object".
        value = request.get_json(silent=True)
    except RecursionError as error:
        raise MalformedRequest("The JSON is nested far too deep for a signup.") from error
    depth, texts = _depth_and_texts(value)
    if depth > MAX_JSON_DEPTH:
        raise MalformedRequest("The JSON is nested far too deep for a signup.")
    if any(_unstorable(text) for text in texts):
        raise MalformedRequest(
            "The text contains an invalid character (a lone surrogate or a NUL).")


def _check_form() -> None:
    try:
        form, files = request.form, request.files
    except ValueError as error:  # a multipart body werkzeug cannot read
        raise MalformedRequest("The form data could not be read. Please send it again.") from error
    for key in [*form.keys(), *files.keys()]:
        if not isinstance(key, str) or not key:
            raise MalformedRequest("The form data has a part without a field name.")
        if _unstorable(key):
            raise MalformedRequest("The form contains an invalid character.")
    for _, value in form.items(multi=True):  # every value, not only each key's first
        if _unstorable(value):
            raise MalformedRequest(
                "The form contains an invalid character (a lone surrogate or a NUL). "
                "Please retype it.")


def _check() -> None:
    if _unstorable(request.path):
        raise MalformedRequest("The address contains an invalid character.")
    for key, value in request.args.items(multi=True):
        if _unstorable(key) or _unstorable(value):
            raise MalformedRequest("The address contains an invalid character.")
    if request.method not in WRITES:
        return
    if request.is_json:
        _check_json()
    elif request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        _check_form()


def init_app(app: Flask) -> None:
    """Check every request first (before CSRF, which reads the form too)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _check)
