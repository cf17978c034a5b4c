"""Pure rules of the outbox: how long to wait before a retry, when to give up, the lease."""

from __future__ import annotations

from datetime import timedelta

# A row claimed (`sending`) longer than this belongs to a pass that died: take it back.
LEASE = timedelta(minutes=10)
# 1, 2, 4 … 256 minutes apart: about eight and a half hours of trying before `failed`.
MAX_ATTEMPTS = 10
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)


def retry_delay(attempts: int, jitter: float) -> timedelta:
    """The wait after the `attempts`-th failed try; `jitter` in [0, 1) spreads retries out.

    Exponential backoff with "equal jitter": half the delay is fixed, half is random, so
    messages that failed together (a server outage) do not all come back at one instant.
    """
    delay: timedelta = min(BASE_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)
    return delay / 2 + delay / 2 * jitter


def gives_up(attempts: int) -> bool:
    """Whether a message that has failed `attempts` times is now `failed` for good."""
    return attempts >= MAX_ATTEMPTS
