"""How many rows one claim takes: never more than a lease can cover under SEND_RATE."""

from __future__ import annotations

import pytest

from service.delivery.preparing import CLAIM_BATCH, claim_size


@pytest.mark.parametrize(
    ("send_rate", "expected"),
    [(None, CLAIM_BATCH), (100.0, CLAIM_BATCH), (0.5, 30), (0.01, 1)],
)
def test_claim_size(send_rate: float | None, expected: int) -> None:
    assert claim_size(send_rate) == expected
