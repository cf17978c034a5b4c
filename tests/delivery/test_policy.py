"""Retry timing: exponential, jittered, capped; and when the outbox gives up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service.delivery.policy import MAX_ATTEMPTS, gives_up, retry_delay


@pytest.mark.parametrize(
    ("attempts", "jitter", "expected"),
    [
        (1, 0.0, timedelta(seconds=30)),
        (1, 0.999999, timedelta(seconds=60)),
        (2, 0.0, timedelta(minutes=1)),
        (3, 0.5, timedelta(minutes=3)),
        (9, 0.0, timedelta(minutes=128)),
        (20, 0.0, timedelta(hours=3)),  # capped at six hours, half of it fixed
        (20, 1.0, timedelta(hours=6)),
    ],
)
def test_retry_delay(attempts: int, jitter: float, expected: timedelta) -> None:
    assert abs(retry_delay(attempts, jitter) - expected) < timedelta(seconds=1)


def test_gives_up_only_at_the_limit() -> None:
    assert not gives_up(MAX_ATTEMPTS - 1)
    assert gives_up(MAX_ATTEMPTS)
