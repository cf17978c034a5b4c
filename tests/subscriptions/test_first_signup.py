"""The first signup of an address, written without reading first and committed at once
(operations.sign_up_new): what it must still get right (a suppression under an old key, the
same new address twice at the same moment), with the general path behind it as the signup
view has it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from service.extensions import db
from service.models import Consent, Delivery, MessageKind, Subscriber, SubscriberStatus, Suppression
from service.subscriptions import operations
from service.subscriptions.consent import CURRENT
from service.subscriptions.suppression import address_hash, is_suppressed

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
KEYS = ["new-key", "old-key"]


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session
        db.session.rollback()


def _signup(email: str, name: str = "Ann") -> operations.SignupRequest:
    return operations.SignupRequest(email, name, "signup-page", CURRENT, {"email": email})


def _sign_up(engine: Engine, session: Session, signup: operations.SignupRequest,
             timezone: str = "UTC") -> bool:
    """As the signup view does: the one statement first, the general path when it declines.
    Whether the one statement did it."""
    if operations.sign_up_new(engine, signup, NOW, timezone, KEYS):
        return True
    operations.sign_up(session, signup, NOW, timezone, KEYS)
    session.commit()
    return False


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_first_signup_stores_the_subscriber_its_consent_and_one_confirmation(
    session: Session,
) -> None:
    assert _sign_up(db.engine, session, _signup("new@example.com"), "Europe/Oslo")
    ann = operations.find_by_email(session, "new@example.com")
    assert ann is not None and ann.status == SubscriberStatus.PENDING
    assert (ann.first_name, ann.timezone, ann.send_hour, ann.link_epoch) == ("Ann",
                                                                             "Europe/Oslo", 9, 0)
    assert ann.course_enabled and not ann.newsletter_enabled and not ann.paused
    [consent] = ann.consents
    assert (consent.text_version, consent.given_at, consent.submitted) == (
        CURRENT, NOW, {"email": "new@example.com"})
    [mail] = session.scalars(select(Delivery)).all()
    assert (mail.kind, mail.status, mail.subscriber_id) == ("confirmation", "queued", ann.id)
    assert mail.idempotency_key == f"confirmation:{ann.public_id}:{consent.id}"


def test_an_address_suppressed_under_an_old_key_is_not_stored_and_stays_suppressed(
    session: Session,
) -> None:
    session.add(Suppression(address_hash=address_hash("old-key", "gone@example.com"),
                            reason="550 5.1.1", created_at=NOW))
    session.commit()

    assert not _sign_up(db.engine, session, _signup("gone@example.com"))

    assert _count(session, Subscriber) == 0 and _count(session, Delivery) == 0
    assert is_suppressed(session, "new-key", "gone@example.com")  # carried over to the new key


def test_the_same_new_address_twice_at_the_same_moment_is_one_subscriber(
    postgres_schema: str,
) -> None:
    """The second signup's statement waits on the first one's row, adds nobody, and the
    general path finds the row the first one committed."""
    from tests.conftest import _truncate_postgres

    _truncate_postgres(postgres_schema)
    engine = create_engine(postgres_schema)
    first, second = Session(engine), Session(engine)
    answers: list[bool] = []
    try:
        operations.sign_up(first, _signup("twice@example.com"), NOW, "UTC", KEYS)
        waiting = threading.Thread(target=lambda: (
            answers.append(_sign_up(engine, second, _signup("twice@example.com", "Annie")))))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # held by the first signup's uncommitted row
        first.commit()
        waiting.join(10)
        assert not waiting.is_alive() and answers == [False]
        with Session(engine) as check:
            [ann] = check.scalars(select(Subscriber)).all()
            assert ann.first_name == "Annie"
            assert _count(check, Consent) == 2
            kinds = check.scalars(select(Delivery.kind)).all()
            assert kinds == [MessageKind.CONFIRMATION] * 2
    finally:
        first.close()
        second.close()
        engine.dispose()
