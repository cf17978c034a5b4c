"""The signup limits: per IP and per address, counted in fixed windows.

The windows and keys are the `limits` library's (`parse_many`, `RateLimitItem.key_for`);
a hit is one `incr` on the counters, over the limit when the count passes its amount
(the library's fixed-window strategy). The routes that mail an address call `within`
once per POST. Flask-Limiter, which wraps the same library, also ran its checks on every
request of every page; without it, and with MemoryCounters, the server's CPU per signup
under load fell by about a third (README, Benchmarks).

The counters live where RATELIMIT_STORAGE_URI says: `memory://` (the default) is this
process's MemoryCounters; any other URI is a `limits` storage (e.g. `redis://…`, shared by
every worker and machine). If that store fails, counting goes on in memory for
RETRY_STORE_AFTER seconds, with a log line, and signups keep working.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string

from service.web.counters import MemoryCounters

log = logging.getLogger(__name__)

RETRY_STORE_AFTER = 30.0  # seconds counted in memory before a failed store is tried again
# Seconds a shared store may take to connect or to answer; then the signup goes on, counted
# in memory. The client libraries' own defaults are long (redis-py 6 and later: 5 s) or
# none at all (older redis-py, pymemcache): a store that accepts connections and never
# answers would hold every signup, and in time every web thread.
STORE_TIMEOUT = 1.0
_REDIS_TIMEOUTS = ("socket_timeout", "socket_connect_timeout")
_TIMEOUT_OPTIONS = {  # the client library's names for them, by URI scheme (before any +)
    "redis": _REDIS_TIMEOUTS, "rediss": _REDIS_TIMEOUTS,
    "valkey": _REDIS_TIMEOUTS, "valkeys": _REDIS_TIMEOUTS,
    "memcached": ("timeout", "connect_timeout"),
}
EXTENSION = "signup_counters"


@dataclass
class Counters:
    """The configured store, and the memory it falls back on while the store fails."""

    store: Storage
    fallback: MemoryCounters = field(default_factory=MemoryCounters)
    down_until: float = 0.0  # on time.monotonic(); one assignment, so no lock

    def incr(self, key: str, seconds: float) -> int:
        """Count one hit for `key` in a window of `seconds`; the count so far."""
        if time.monotonic() >= self.down_until:
            try:
                return self.store.incr(key, int(seconds))
            except Exception as error:  # noqa: BLE001 - any failure of the store: fail open
                self.down_until = time.monotonic() + RETRY_STORE_AFTER
                log.warning("Rate limit store unavailable (%s: %s): counting in this "
                            "process's memory for %d s", type(error).__name__, error,
                            RETRY_STORE_AFTER)
        return self.fallback.incr(key, seconds)


def _timeouts(scheme: str) -> dict[str, float]:
    """STORE_TIMEOUT under the names the store's client takes (redis+sentinel, rediss…);
    for Redis, timeouts in the URI's query (`?socket_timeout=5`) win."""
    family = scheme.removeprefix("async+").split("+")[0]
    return dict.fromkeys(_TIMEOUT_OPTIONS.get(family, ()), STORE_TIMEOUT)


def counters_for(uri: str) -> Counters:
    """The counters RATELIMIT_STORAGE_URI names; `limits` refuses a URI it cannot serve."""
    scheme = urlsplit(uri).scheme
    if scheme == "memory":
        return Counters(MemoryCounters())
    store = storage_from_string(uri, **_timeouts(scheme))
    if not isinstance(store, Storage):  # an async+… store: nothing here awaits
        raise ValueError(f"RATELIMIT_STORAGE_URI must name a store without async+, not {uri!r}")
    return Counters(store)


def init_app(app: Flask) -> None:
    """Give the app its counters (each app its own, when they live in memory); a limit
    that does not parse stops the start, not a signup."""
    text = str(app.config["SIGNUP_RATE_LIMIT"])
    try:
        _limits(text)
    except ValueError as error:
        raise ValueError(f"SIGNUP_RATE_LIMIT must read like '10 per hour' or "
                         f"'10/hour;50/day', not {text!r}") from error
    app.extensions[EXTENSION] = counters_for(app.config["RATELIMIT_STORAGE_URI"])


def counters() -> Counters:
    """The current app's counters."""
    found: Counters = current_app.extensions[EXTENSION]
    return found


@lru_cache(maxsize=32)
def _limits(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text))


def within(limit_text: str, scope: str, key: str) -> bool:
    """Count one hit for `key` under `scope`; False once it goes over any of the limits
    `limit_text` gives ("10 per hour", "10/hour;50/day"), while RATELIMIT_ENABLED."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    found = counters()
    return all(found.incr(item.key_for(scope, key), item.get_expiry()) <= item.amount
               for item in _limits(limit_text))


def first_use(key: str, seconds: float) -> bool:
    """Whether this is the first time `key` is used within `seconds` (a one-time token)."""
    return counters().incr(key, seconds) == 1
