"""A subscriber, their consent records, and what is left after an erasure."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, utcnow


class SubscriberStatus(StrEnum):
    PENDING = "pending"  # signed up, not yet confirmed
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    SUPPRESSED = "suppressed"  # the mail server refused the address for good


def new_public_id() -> str:
    """An unguessable id for signed links; never reused, unlike an integer key."""
    return secrets.token_hex(16)


class Subscriber(Base):
    __tablename__ = "subscriber"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(60), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    send_hour: Mapped[int] = mapped_column(default=9)
    weekdays_only: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=SubscriberStatus.PENDING, index=True)
    course_enabled: Mapped[bool] = mapped_column(default=True)
    newsletter_enabled: Mapped[bool] = mapped_column(default=False)
    # When the newsletter was last turned off (its results count unsubscribes by this).
    newsletter_off_at: Mapped[datetime | None]
    paused: Mapped[bool] = mapped_column(default=False)  # until they resume
    # A pause that ends by itself: no lesson is due before this instant (UTC).
    paused_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    suppressed_at: Mapped[datetime | None]
    suppressed_reason: Mapped[str | None] = mapped_column(String(500))
    # Part of every signed link; raising it ("log me out of all links") revokes them all.
    link_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    consents: Mapped[list[Consent]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Consent.id",
    )

    @property
    def is_active(self) -> bool:
        return self.status == SubscriberStatus.ACTIVE


class Consent(Base):
    """What a subscriber agreed to, when, on which form, and when they withdrew (GDPR Art. 7)."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    form: Mapped[str] = mapped_column(String(40))  # signup-page, embedded-form, json, csv-import
    text_version: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(60))  # how it was given
    submitted: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]

    subscriber: Mapped[Subscriber] = relationship(back_populates="consents")


class Erasure(Base):
    """One row per deleted subscriber: a count, nothing that identifies anyone."""

    __tablename__ = "erasure"

    id: Mapped[int] = mapped_column(primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    deliveries_erased: Mapped[int] = mapped_column(default=0)


class Suppression(Base):
    """An address the mail server refused for good, kept as a keyed hash only.

    It outlives erasure: the same address signing up again is not mailed, yet nothing
    here reads back as an address (see service/subscriptions/suppression.py).
    """

    __tablename__ = "suppression"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The SMTP code and enhanced status only (e.g. "550 5.1.1"): a reply may quote the address.
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
