"""Settings from the environment (and a `.env` file), each with a local default."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

DEFAULT_TIMEZONE = "America/New_York"


def database_url(raw: str | None, instance_path: str) -> str:
    """Normalise DATABASE_URL: accept `postgres://`, choose psycopg 3, default to SQLite."""
    if not raw:
        return f"sqlite:///{Path(instance_path) / 'course.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def secret_key(raw: str | None, instance_path: str) -> str:
    """Use SECRET_KEY, or generate one once and keep it in the instance folder."""
    if raw:
        return raw
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _float(name: str, default: float | None) -> float | None:
    value = os.environ.get(name)
    return float(value) if value else default


def from_environment(instance_path: str) -> dict[str, Any]:
    """Read every setting PRODUCT.md names; missing ones get their local default."""
    load_dotenv(os.environ.get("DOTENV_PATH", ".env"))
    env = os.environ.get
    base_url = env("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(env("DATABASE_URL"), instance_path),
        "SECRET_KEY": secret_key(env("SECRET_KEY"), instance_path),
        "BASE_URL": base_url,
        "SMTP_URL": env("SMTP_URL") or None,
        "SMTP_CONNECTIONS": _int("SMTP_CONNECTIONS", 1),
        "SEND_RATE": _float("SEND_RATE", None),
        "MAIL_FROM": env("MAIL_FROM", "Clinic (placeholder) <hello@clinic.invalid>"),
        "MAIL_UNSUBSCRIBE_MAILTO": env("MAIL_UNSUBSCRIBE_MAILTO") or None,
        "CLINIC_NAME": env("CLINIC_NAME", "Your Massage Clinic (placeholder name)"),
        "CLINIC_POSTAL_ADDRESS": env(
            "CLINIC_POSTAL_ADDRESS", "123 Placeholder Street, Set CLINIC_POSTAL_ADDRESS, USA"
        ),
        "CLINIC_PHONE": env("CLINIC_PHONE", "(000) 000-0000 (placeholder phone)"),
        "CLINIC_BOOKING_URL": env("CLINIC_BOOKING_URL", f"{base_url}/#book-placeholder"),
        "CLINIC_TIMEZONE": env("CLINIC_TIMEZONE", DEFAULT_TIMEZONE),
        "ALLOWED_ORIGINS": [o.strip() for o in env("ALLOWED_ORIGINS", "").split(",") if o.strip()],
        # How many reverse proxies (load balancer, platform router) stand before gunicorn.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "STORE_SIGNUP_IP": env("STORE_SIGNUP_IP", "").lower() in ("1", "true", "yes"),
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI", "memory://"),
        "SIGNUP_RATE_LIMIT": env("SIGNUP_RATE_LIMIT", "10 per hour"),
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # The staff admin: sessions end after this long without a request; login throttling.
        "ADMIN_IDLE_MINUTES": _int("ADMIN_IDLE_MINUTES", 30),
        "ADMIN_LOGIN_MAX_PER_ACCOUNT": _int("ADMIN_LOGIN_MAX_PER_ACCOUNT", 5),
        "ADMIN_LOGIN_MAX_PER_IP": _int("ADMIN_LOGIN_MAX_PER_IP", 20),
        "ADMIN_LOGIN_WINDOW_MINUTES": _int("ADMIN_LOGIN_WINDOW_MINUTES", 15),
        "WTF_CSRF_TIME_LIMIT": None,
    }
