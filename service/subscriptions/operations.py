"""Signing up, confirming and coming back: operations that take a session and only flush,
but for sign_up_new, a new address's one statement, which commits on its own connection.

Mail they ask for is queued as outbox rows (service.delivery.queueing); the caller
commits and the worker sends it. No operation waits on SMTP, and none takes longer or
shorter for an address that is suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.delivery import enrolment
from service.delivery.enrolment import Start
from service.delivery.queueing import may_confirm, queue_transactional
from service.errors import InvalidToken
from service.models import Consent, MessageKind, Subscriber, SubscriberStatus
from service.subscriptions import first_signup
from service.subscriptions.consent import consent_text
from service.subscriptions.suppression import Keys, address_hashes, is_suppressed
from service.tokens import Link

# How the consent was given, by the form it came from (recorded with each consent).
METHODS = {
    "signup-page": "double opt-in web form",
    "embedded-form": "double opt-in form embedded in the clinic website",
    "json": "double opt-in via JSON API",
    "resubscribe": "double opt-in, subscribe-again button after unsubscribing",
}


@dataclass(frozen=True)
class SignupRequest:
    """One validated signup: the address is already normalised, the name already cleaned."""

    email: str
    first_name: str
    form: str
    text_version: str
    submitted: dict[str, Any] = field(default_factory=dict)
    ip_address: str | None = None
    newsletter_only: bool = False  # "newsletter only": confirmed the same way, no course


def find_by_email(session: Session, email: str) -> Subscriber | None:
    """The subscriber with this (normalised) address, if any."""
    return session.scalar(select(Subscriber).where(Subscriber.email == email))


def find_by_public_id_or_none(session: Session, public_id: str) -> Subscriber | None:
    """The subscriber a signed link names, or None if they were erased."""
    return session.scalar(select(Subscriber).where(Subscriber.public_id == public_id))


def find_by_public_id(session: Session, public_id: str) -> Subscriber:
    """The subscriber a signed link names; InvalidToken if they are gone (e.g. erased)."""
    subscriber = find_by_public_id_or_none(session, public_id)
    if subscriber is None:
        raise InvalidToken("This link no longer works: we hold no data for it.")
    return subscriber


def _consent_values(request: SignupRequest, now: datetime) -> dict[str, Any]:
    """A signup's consent record, but for its subscriber."""
    return {
        "form": request.form,
        "text_version": request.text_version,
        "text": consent_text(request.text_version),
        "method": METHODS.get(request.form, "double opt-in"),
        "submitted": dict(request.submitted),
        "ip_address": request.ip_address,
        "given_at": now,
    }


def _record_consent(
    session: Session, subscriber: Subscriber, request: SignupRequest, now: datetime
) -> Consent:
    consent = Consent(subscriber=subscriber, **_consent_values(request, now))
    session.add(consent)
    return consent


def _restart_as_pending(subscriber: Subscriber) -> None:
    # Coming back after leaving is a new signup: it needs confirming again.
    subscriber.status = SubscriberStatus.PENDING
    subscriber.confirmed_at = None
    subscriber.unsubscribed_at = None
    subscriber.course_enabled = True
    subscriber.paused = False
    subscriber.paused_until = None


def _apply_choice(subscriber: Subscriber, request: SignupRequest) -> None:
    # What a (re)signup asks for: the course (newsletter as it was), or the newsletter only.
    if request.newsletter_only:
        subscriber.course_enabled = False
        subscriber.newsletter_enabled = True
    else:
        subscriber.course_enabled = True


def _queue_confirmation(
    session: Session, subscriber: Subscriber, consent: Consent, now: datetime
) -> None:
    session.flush()  # the consent's id keys the message: one confirmation per signup
    key = first_signup.confirmation_key(subscriber.public_id, consent.id)
    queue_transactional(session, subscriber, MessageKind.CONFIRMATION, now, key=key)


def sign_up_new(
    engine: Engine, request: SignupRequest, now: datetime, default_timezone: str,
    secret_key: Keys,
) -> bool:
    """The common signup, an address neither on the list nor suppressed, written without
    reading first and committed on a connection of its own (see first_signup); False, with
    nothing written, when sign_up must find out what the list holds."""
    with first_signup.committing(engine) as connection:
        return first_signup.record(
            connection, email=request.email, first_name=request.first_name,
            timezone=default_timezone, newsletter_only=request.newsletter_only,
            hashes=address_hashes(secret_key, request.email),
            consent=_consent_values(request, now), now=now,
        )


def sign_up(
    session: Session, request: SignupRequest, now: datetime, default_timezone: str,
    secret_key: Keys,
) -> None:
    """Record a signup and queue the right email; every outcome looks the same to the visitor.

    New, pending or unsubscribed: (re)send the confirmation, with a new consent record.
    Active: a short "you are already subscribed" email, at most one an hour. Suppressed,
    even if erased since: nothing at all, and nothing stored. Any address works here; for a
    new one, sign_up_new is one statement where this reads first.
    """
    if is_suppressed(session, secret_key, request.email):
        return
    subscriber = find_by_email(session, request.email)
    if subscriber is None:
        subscriber = Subscriber(
            email=request.email,
            first_name=request.first_name,
            timezone=default_timezone,
            status=SubscriberStatus.PENDING,
            created_at=now,
            course_enabled=not request.newsletter_only,
            newsletter_enabled=request.newsletter_only,
        )
        session.add(subscriber)
    elif subscriber.status == SubscriberStatus.SUPPRESSED:
        return
    elif subscriber.status == SubscriberStatus.ACTIVE:
        # Nothing changes for a confirmed subscriber: only they can edit their own record.
        key = f"already_subscribed:{subscriber.public_id}:{now:%Y-%m-%dT%H}"
        queue_transactional(session, subscriber, MessageKind.ALREADY_SUBSCRIBED, now, key=key)
        return
    elif not may_confirm(session, subscriber, now):
        return  # its confirmation emails for today are spent: change and record nothing
    else:
        if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
            _restart_as_pending(subscriber)
        if request.first_name:
            subscriber.first_name = request.first_name
        _apply_choice(subscriber, request)
    consent = _record_consent(session, subscriber, request, now)
    _queue_confirmation(session, subscriber, consent, now)


def subscribe_again(
    session: Session, subscriber: Subscriber, request: SignupRequest, now: datetime
) -> None:
    """The subscribe-again button after unsubscribing: a fresh confirmation, nothing else."""
    if subscriber.status in (SubscriberStatus.SUPPRESSED, SubscriberStatus.ACTIVE):
        return
    if not may_confirm(session, subscriber, now):
        return
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        _restart_as_pending(subscriber)
    consent = _record_consent(session, subscriber, request, now)
    _queue_confirmation(session, subscriber, consent, now)


def send_fresh_links(session: Session, email: str, now: datetime) -> None:
    """Queue fresh links for an address, if it is on the list; the caller answers the same.

    Pending: a new confirmation email. Active: the already-subscribed email, whose button and
    footer carry fresh preferences and unsubscribe links. Unknown, unsubscribed or
    suppressed: nothing (we do not write to people who asked us not to). At most one of
    each an hour per address, however often the form is sent.
    """
    subscriber = find_by_email(session, email)
    if subscriber is None:
        return
    hour = f"{now:%Y-%m-%dT%H}"
    if subscriber.status == SubscriberStatus.PENDING:
        key = f"fresh_confirmation:{subscriber.public_id}:{hour}"
        queue_transactional(session, subscriber, MessageKind.CONFIRMATION, now, key=key)
    elif subscriber.status == SubscriberStatus.ACTIVE:
        key = f"fresh_links:{subscriber.public_id}:{hour}"
        queue_transactional(session, subscriber, MessageKind.ALREADY_SUBSCRIBED, now, key=key)


def _signup_open(subscriber: Subscriber, link: Link) -> bool:
    """Whether the signup a confirmation link was sent for still stands.

    A link names its consent record; once that consent is withdrawn (the person left), the
    link is spent, even if the same address signs up again later. A link signed before links
    named their signup holds only while no consent was ever withdrawn.
    """
    if link.legacy or link.consent_id is None:
        return all(c.withdrawn_at is None for c in subscriber.consents)
    return any(c.id == link.consent_id and c.withdrawn_at is None for c in subscriber.consents)


def confirm(
    session: Session, subscriber: Subscriber, now: datetime, link: Link | None = None
) -> Start | None:
    """Activate a pending subscriber and start their course; None if already confirmed.

    What the course start did (lesson 1 queued, waiting for a first lesson, or finished
    before) is returned so the page says only what is true.
    """
    if link is not None and not _signup_open(subscriber, link):
        raise InvalidToken(
            "This confirmation link is no longer valid. Please sign up again on our page."
        )
    if subscriber.status == SubscriberStatus.ACTIVE:
        return None
    if subscriber.status != SubscriberStatus.PENDING:
        # An old confirmation link after leaving (or after a hard bounce) must not re-subscribe.
        raise InvalidToken(
            "This confirmation link is no longer valid. Please sign up again on our page."
        )
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.confirmed_at = now
    for consent in subscriber.consents:
        if consent.confirmed_at is None and consent.withdrawn_at is None:
            consent.confirmed_at = now
    session.flush()
    if not subscriber.course_enabled:
        return Start.NEWSLETTER_ONLY  # signed up for the newsletter only: no course
    return enrolment.enrol(session, subscriber, now)
