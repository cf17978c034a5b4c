"""Login throttling: too many recent failures for one account, or from one IP, refuse logins.

Failures are rows in the database, so every web process agrees, a restart forgets nothing,
and a guesser who spreads tries over many addresses is still stopped by the per-IP count.
A refused attempt is not checked at all, so it cannot confirm a guessed password.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.models import LoginFailure


@dataclass(frozen=True)
class Limits:
    per_account: int = 5
    per_ip: int = 20
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """The limits an app's config names (ADMIN_LOGIN_*), with these defaults."""
        get = config.get
        return cls(
            per_account=int(get("ADMIN_LOGIN_MAX_PER_ACCOUNT", cls.per_account)),
            per_ip=int(get("ADMIN_LOGIN_MAX_PER_IP", cls.per_ip)),
            window=timedelta(minutes=int(get("ADMIN_LOGIN_WINDOW_MINUTES", 15))),
        )


def _count(session: Session, column: Any, value: str, since: datetime) -> int:
    query = select(func.count()).select_from(LoginFailure).where(
        column == value, LoginFailure.at > since
    )
    return session.scalar(query) or 0


def is_throttled(session: Session, email: str, ip: str, now: datetime, limits: Limits) -> bool:
    """Whether this account or this address has failed too often within the window."""
    since = now - limits.window
    return (
        _count(session, LoginFailure.email, email.strip().lower(), since) >= limits.per_account
        or _count(session, LoginFailure.ip_address, ip, since) >= limits.per_ip
    )


def record_failure(session: Session, email: str, ip: str, now: datetime, limits: Limits) -> None:
    """Remember one failure; drop rows older than the window so the table stays small."""
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - limits.window))
    session.add(LoginFailure(email=email.strip().lower()[:254], ip_address=ip[:45], at=now))
    session.flush()


def clear_account(session: Session, email: str) -> None:
    """A successful login forgets the account's failures (the IP's stay counted)."""
    session.execute(delete(LoginFailure).where(LoginFailure.email == email.strip().lower()))
