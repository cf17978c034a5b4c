"""Template filters for the admin: instants in a named zone, counts with separators."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app


def local(value: datetime | None, zone: str | None = None) -> str:
    """`Tue 1 Dec 2026, 09:00 CST`: the instant in `zone` (default the clinic's zone)."""
    if value is None:
        return "—"
    name = zone or current_app.config["CLINIC_TIMEZONE"]
    try:
        tz = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    moment = value.astimezone(tz)
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M} {moment.tzname()}"


def number(value: int | float) -> str:
    """1,234 rather than 1234."""
    return f"{value:,}"


def init_app(app: Flask) -> None:
    app.add_template_filter(local, "local")
    app.add_template_filter(number, "number")
