"""Settings from the environment (and a `.env` file), each with a local default."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_LOCALE = "en_US"
PLACEHOLDER_DOMAIN = "clinic.invalid"


def database_url(raw: str | None, instance_path: str) -> str:
    """Normalise DATABASE_URL: accept `postgres://`, choose psycopg 3, default to SQLite."""
    if not raw:
        return f"sqlite:///{Path(instance_path) / 'course.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


class MissingSecretKey(RuntimeError):
    """A deployed process must share one SECRET_KEY with every other process."""


def is_local(env: Mapping[str, str]) -> bool:
    """Local development: SQLite, no SMTP server, and BASE_URL not on https."""
    database = env.get("DATABASE_URL") or ""
    return (not database.startswith(("postgres://", "postgresql")) and not env.get("SMTP_URL")
            and not env.get("BASE_URL", "").startswith("https://"))


def secret_key(raw: str | None, instance_path: str, local: bool = True) -> str:
    """Use SECRET_KEY; only in local development generate one and keep it in the instance folder.

    A deployed web process and its worker must sign with the same key, or every link in
    mailed lessons fails: a key made up per instance folder would silently differ.
    """
    if raw:
        return raw
    if not local:
        raise MissingSecretKey(
            "SECRET_KEY is not set. It signs every link in our emails, so every process (web and "
            "worker, on every machine) needs the same one. Make one with\n"
            f"    {MAKE_A_KEY}\nand set it as SECRET_KEY (see README, Configuration)."
        )
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


LOGO_FILES = ("logo.png", "logo.jpg")  # in the instance folder; served at /clinic/<name>


def logo_url(raw: str | None, instance_path: str) -> str:
    """CLINIC_LOGO_URL, else `/clinic/<file>` for a logo in the instance folder, else ""."""
    # A path, not a URL: the emails put BASE_URL before it, whichever BASE_URL the app ends with.
    if raw:
        if not raw.startswith(("https://", "http://")):
            raise ValueError(f"CLINIC_LOGO_URL must be an absolute http(s) URL, not {raw!r}")
        return raw
    for name in LOGO_FILES:
        if (Path(instance_path) / name).is_file():
            return f"/clinic/{name}"
    return ""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    return int(value) if value else default


def _float(env: Mapping[str, str], name: str, default: float | None) -> float | None:
    value = env.get(name)
    return float(value) if value else default


def _list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def signing_keys(config: Mapping[str, Any]) -> list[str]:
    """SECRET_KEY then its fallbacks: links are signed with the first, verified with any."""
    return [str(config["SECRET_KEY"]), *(str(k) for k in config.get("SECRET_KEY_FALLBACKS") or ())]


def read(env: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Every setting PRODUCT.md names, from `env`; missing ones get their local default."""
    # Unset, BASE_URL follows PORT, so `PORT=8000 make run` mails links that work.
    base_url = env.get("BASE_URL", f"http://127.0.0.1:{env.get('PORT') or 5000}").rstrip("/")
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), instance_path),
        "SECRET_KEY": secret_key(env.get("SECRET_KEY"), instance_path, is_local(env)),
        # Old keys that still verify links already mailed (newest first); new links use SECRET_KEY.
        "SECRET_KEY_FALLBACKS": _list(env.get("SECRET_KEY_FALLBACKS")),
        "BASE_URL": base_url,
        "SMTP_URL": env.get("SMTP_URL") or None,
        "SMTP_TIMEOUT": _float(env, "SMTP_TIMEOUT", 30.0),
        "SMTP_CONNECTIONS": _int(env, "SMTP_CONNECTIONS", 1),
        "SEND_RATE": _float(env, "SEND_RATE", None),
        "OUTBOX_DIR": env.get("OUTBOX_DIR") or os.path.join(instance_path, "outbox"),
        "MAIL_FROM": env.get("MAIL_FROM", "Clinic (placeholder) <hello@clinic.invalid>"),
        "MAIL_UNSUBSCRIBE_MAILTO": env.get("MAIL_UNSUBSCRIBE_MAILTO") or None,
        "CLINIC_NAME": env.get("CLINIC_NAME", "Your Massage Clinic (placeholder name)"),
        "CLINIC_POSTAL_ADDRESS": env.get(
            "CLINIC_POSTAL_ADDRESS", "123 Placeholder Street, Set CLINIC_POSTAL_ADDRESS, USA"
        ),
        "CLINIC_PHONE": env.get("CLINIC_PHONE", "(000) 000-0000 (placeholder phone)"),
        "CLINIC_BOOKING_URL": env.get("CLINIC_BOOKING_URL", f"{base_url}/#book-placeholder"),
        # Optional small logo at the top of every email.
        "CLINIC_LOGO_URL": logo_url(env.get("CLINIC_LOGO_URL"), instance_path),
        "CLINIC_TIMEZONE": env.get("CLINIC_TIMEZONE", DEFAULT_TIMEZONE),
        # How pages write times and dates (9 AM in en_US, 09:00 in en_GB): a CLDR locale.
        "CLINIC_LOCALE": env.get("CLINIC_LOCALE", DEFAULT_LOCALE),
        "ALLOWED_ORIGINS": _list(env.get("ALLOWED_ORIGINS")),
        # How many reverse proxies (load balancer, platform router) stand before gunicorn.
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        "STORE_SIGNUP_IP": env.get("STORE_SIGNUP_IP", "").lower() in ("1", "true", "yes"),
        "STORE_SIGNUP_USER_AGENT": env.get("STORE_SIGNUP_USER_AGENT", "").lower()
        in ("1", "true", "yes"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "SIGNUP_RATE_LIMIT": env.get("SIGNUP_RATE_LIMIT", "10 per hour"),
        # A self-hosted proof of work on the public signup forms (service/web/challenge.py).
        "SIGNUP_CHALLENGE": env.get("SIGNUP_CHALLENGE", "").lower() in ("1", "on", "true", "yes"),
        # The signup limits count (tests switch them off); see service/web/rate_limits.py.
        "RATELIMIT_ENABLED": True,
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # The staff admin: sessions end after this long without a request; login throttling.
        "ADMIN_IDLE_MINUTES": _int(env, "ADMIN_IDLE_MINUTES", 30),
        "ADMIN_LOGIN_MAX_PER_ACCOUNT": _int(env, "ADMIN_LOGIN_MAX_PER_ACCOUNT", 5),
        "ADMIN_LOGIN_MAX_PER_IP": _int(env, "ADMIN_LOGIN_MAX_PER_IP", 20),
        "ADMIN_LOGIN_WINDOW_MINUTES": _int(env, "ADMIN_LOGIN_WINDOW_MINUTES", 15),
        "WTF_CSRF_TIME_LIMIT": None,
    }


def placeholder_settings(settings: dict[str, Any]) -> list[str]:
    """The clinic settings still at their placeholders, by variable name."""
    found = [
        name for name in ("CLINIC_NAME", "CLINIC_POSTAL_ADDRESS", "CLINIC_PHONE")
        if "placeholder" in str(settings.get(name, "")).lower()
    ]
    if PLACEHOLDER_DOMAIN in str(settings.get("MAIL_FROM", "")):
        found.append("MAIL_FROM")
    booking = str(settings.get("CLINIC_BOOKING_URL", ""))
    if "placeholder" in booking or booking.rstrip("/") == str(settings.get("BASE_URL", "")):
        found.append("CLINIC_BOOKING_URL")
    return found


def placeholder_warning(settings: dict[str, Any]) -> str | None:
    """A loud message when real mail would go out with placeholder clinic details."""
    if not settings.get("SMTP_URL"):
        return None  # the dev outbox: placeholders are expected
    names = placeholder_settings(settings)
    if not names:
        return None
    line = "!" * 72
    return (
        f"{line}\nSMTP_URL is set, so real email will be sent, but these clinic settings are "
        f"still placeholders: {', '.join(names)}.\nPatients would see them in every email "
        f"footer. Set them (see README, Configuration) before sending.\n{line}"
    )


def from_environment(instance_path: str) -> dict[str, Any]:
    """The settings of a deployed process: the environment, after loading a `.env` file."""
    load_dotenv(os.environ.get("DOTENV_PATH", ".env"))
    return read(os.environ, instance_path)


@dataclass(frozen=True)
class DeliverySettings:
    """What the dispatch pass needs, typed, read once per pass from the app's config."""

    smtp_url: str | None
    smtp_timeout: float
    smtp_connections: int
    send_rate: float | None
    outbox_dir: str
    secret_key: str
    fallback_keys: tuple[str, ...] = ()

    @property
    def keys(self) -> list[str]:
        """SECRET_KEY then its fallbacks, for lookups that must survive a rotation."""
        return [self.secret_key, *self.fallback_keys]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeliverySettings:
        return cls(
            smtp_url=config.get("SMTP_URL") or None,
            smtp_timeout=float(config.get("SMTP_TIMEOUT") or 30.0),
            smtp_connections=max(1, int(config.get("SMTP_CONNECTIONS") or 1)),
            send_rate=float(config["SEND_RATE"]) if config.get("SEND_RATE") else None,
            outbox_dir=str(config["OUTBOX_DIR"]),
            secret_key=str(config["SECRET_KEY"]),
            fallback_keys=tuple(signing_keys(config)[1:]),
        )
