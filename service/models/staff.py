"""Clinic staff who log in to /admin, and the failed logins that throttle guessing.

A `Staff` row is what Flask-Login holds as `current_user`: `get_id()` joins the key with
`session_token`, so rotating the token (password change, disabling) ends every session.
Roles: editor (writes lessons, follows patients), reviewer (a clinician who signs off
health content), owner (everything, and manages staff). `is_clinician` and `credentials`
("RMT", "DPT", ...) are what a signed-off lesson shows as "Reviewed by NAME, CREDENTIALS".
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, utcnow


class StaffRole(StrEnum):
    EDITOR = "editor"
    REVIEWER = "reviewer"
    OWNER = "owner"


def new_session_token() -> str:
    """A fresh value for `Staff.session_token`; changing it logs the person out everywhere."""
    return secrets.token_hex(16)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    # werkzeug's scrypt hash (method, salt and parameters inside the string).
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=StaffRole.EDITOR)
    is_clinician: Mapped[bool] = mapped_column(default=False)
    credentials: Mapped[str] = mapped_column(String(120), default="")
    # Whether lessons this reviewer approved carry "Reviewed by ..." in the email.
    sign_reviews: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    # Flask-Login's user protocol, without importing Flask into the models.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_token}"

    @property
    def name(self) -> str:
        """How the admin and the audit log name this person."""
        return self.display_name or self.email

    @property
    def signature(self) -> str:
        """"NAME, CREDENTIALS" as a review line shows it."""
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class LoginFailure(Base):
    """One wrong password (or unknown address); recent rows throttle by account and by IP."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip_address: Mapped[str] = mapped_column(String(45), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
