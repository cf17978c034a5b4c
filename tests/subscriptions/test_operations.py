"""Signup, confirm, leave and erase as operations on a session (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.delivery.enrolment import Start
from service.errors import InvalidToken
from service.extensions import db
from service.models import (
    Consent,
    Delivery,
    Enrolment,
    Erasure,
    Subscriber,
    SubscriberStatus,
    Suppression,
)
from service.subscriptions import operations, preferences
from service.subscriptions.consent import CURRENT
from service.subscriptions.preferences import Scope
from service.subscriptions.suppression import is_suppressed, suppress

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
SECRET = "test-secret-key"


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session
        db.session.rollback()


def _signup(email: str = "ann@example.com", name: str = "Ann") -> operations.SignupRequest:
    return operations.SignupRequest(email, name, "signup-page", CURRENT, {"email": email})


def _kinds(session: Session) -> list[tuple[str, str]]:
    rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
    return [(d.kind, d.status) for d in rows]


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _member(session: Session, status: str) -> Subscriber:
    operations.sign_up(session, _signup(), NOW, "America/Chicago", SECRET)
    ann = operations.find_by_email(session, "ann@example.com")
    assert ann is not None
    ann.status = status
    session.flush()
    return ann


def test_a_new_address_is_pending_with_consent_and_a_queued_confirmation(
    session: Session,
) -> None:
    operations.sign_up(session, _signup(), NOW, "America/Chicago", SECRET)
    ann = operations.find_by_email(session, "ann@example.com")
    assert ann is not None and ann.status == SubscriberStatus.PENDING
    assert ann.timezone == "America/Chicago" and ann.send_hour == 9
    [consent] = ann.consents
    assert consent.given_at == NOW and consent.method == "double opt-in web form"
    assert _kinds(session) == [("confirmation", "queued")]


def test_signing_up_again_while_pending_resends_and_records_consent_again(
    session: Session,
) -> None:
    _member(session, SubscriberStatus.PENDING)
    operations.sign_up(session, _signup(name="Annie"), LATER, "America/Chicago", SECRET)
    ann = operations.find_by_email(session, "ann@example.com")
    assert len(ann.consents) == 2 and ann.first_name == "Annie"
    assert _kinds(session) == [("confirmation", "queued")] * 2


def test_an_active_member_gets_a_short_note_and_nothing_changes(session: Session) -> None:
    _member(session, SubscriberStatus.ACTIVE)
    operations.sign_up(session, _signup(name="Mallory"), LATER, "America/Chicago", SECRET)
    ann = operations.find_by_email(session, "ann@example.com")
    assert ann.first_name == "Ann" and len(ann.consents) == 1
    assert _kinds(session)[-1] == ("already_subscribed", "queued")


def test_a_suppressed_address_gets_nothing(session: Session) -> None:
    _member(session, SubscriberStatus.SUPPRESSED)
    operations.sign_up(session, _signup(), LATER, "America/Chicago", SECRET)
    assert _count(session, Delivery) == 1  # only the first confirmation
    assert _count(session, Consent) == 1


def test_an_erased_suppressed_address_signing_up_again_leaves_no_trace(
    session: Session,
) -> None:
    ann = _member(session, SubscriberStatus.ACTIVE)
    suppress(session, SECRET, ann.id, 550, "5.1.1 <ann@example.com> no such user", NOW)
    preferences.erase(session, ann, NOW)
    [kept] = session.scalars(select(Suppression)).all()
    assert "ann" not in kept.address_hash and kept.reason == "550 5.1.1"

    operations.sign_up(session, _signup(), LATER, "America/Chicago", SECRET)

    assert _count(session, Subscriber) == 0 and _count(session, Delivery) == 0
    assert is_suppressed(session, SECRET, "ann@example.com")
    assert not is_suppressed(session, "another-secret", "ann@example.com")


def test_coming_back_after_unsubscribing_needs_confirming_again(session: Session) -> None:
    ann = _member(session, SubscriberStatus.ACTIVE)
    preferences.unsubscribe(session, ann, Scope.ALL, NOW)
    operations.sign_up(session, _signup(), LATER, "America/Chicago", SECRET)
    assert ann.status == SubscriberStatus.PENDING and ann.unsubscribed_at is None
    assert [c.withdrawn_at for c in ann.consents] == [NOW, None]
    assert _kinds(session)[-1] == ("confirmation", "queued")


def test_confirming_activates_and_enrols_once(session: Session) -> None:
    ann = _member(session, SubscriberStatus.PENDING)
    # No lesson is published in this database: lesson 1 waits for one, due from now on.
    assert operations.confirm(session, ann, NOW) == Start.WAITING
    assert ann.status == SubscriberStatus.ACTIVE and ann.confirmed_at == NOW
    assert ann.consents[0].confirmed_at == NOW
    enrolment = session.get(Enrolment, ann.id)
    assert enrolment.next_due_at == NOW and enrolment.completed_at is None
    assert operations.confirm(session, ann, LATER) is None
    assert ann.confirmed_at == NOW


@pytest.mark.parametrize("status", [SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.SUPPRESSED])
def test_an_old_confirmation_link_does_not_bring_anyone_back(
    session: Session, status: str
) -> None:
    ann = _member(session, status)
    with pytest.raises(InvalidToken):
        operations.confirm(session, ann, NOW)
    assert ann.status == status and session.get(Enrolment, ann.id) is None


def test_stop_all_withdraws_consent_and_cancels_what_is_queued(session: Session) -> None:
    ann = _member(session, SubscriberStatus.PENDING)
    operations.confirm(session, ann, NOW)
    preferences.unsubscribe(session, ann, Scope.ALL, LATER)
    assert ann.status == SubscriberStatus.UNSUBSCRIBED and ann.unsubscribed_at == LATER
    assert ann.consents[0].withdrawn_at == LATER
    assert _kinds(session) == [("confirmation", "cancelled")]
    assert session.get(Enrolment, ann.id).next_due_at is None


def test_leaving_the_course_only_keeps_the_newsletter(session: Session) -> None:
    ann = _member(session, SubscriberStatus.PENDING)
    operations.confirm(session, ann, NOW)
    ann.newsletter_enabled = True
    preferences.unsubscribe(session, ann, Scope.COURSE, LATER)
    assert ann.status == SubscriberStatus.ACTIVE and ann.newsletter_enabled
    assert not ann.course_enabled and session.get(Enrolment, ann.id).next_due_at is None
    assert ann.consents[0].withdrawn_at is None


def test_erasure_leaves_only_a_count(session: Session) -> None:
    ann = _member(session, SubscriberStatus.PENDING)
    operations.confirm(session, ann, NOW)
    erasure = preferences.erase(session, ann, LATER)
    session.commit()
    assert erasure.deliveries_erased == 1
    for model in (Subscriber, Consent, Delivery, Enrolment):
        assert _count(session, model) == 0
    assert _count(session, Erasure) == 1
