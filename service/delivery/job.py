"""The state of one delivery run: its instant, its lanes, its counts, and how it stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from service.config import DeliverySettings
from service.mail.transport import Transport
from service.models import Lane

# Policy refusals (5.7.x, DATA) in a row, across the pass's connections, that stop it.
POLICY_STREAK = 3


@dataclass
class Counts:
    """What one pass did; shared by the sending threads."""

    queued: int = 0
    sent: int = 0
    retried: int = 0
    suppressed: int = 0
    failed: int = 0
    cancelled: int = 0
    held: str | None = None  # why sending is stopped, when it is
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)

    def line(self) -> str:
        names = ("queued", "sent", "retried", "suppressed", "failed")
        text = " ".join(f"{name}={getattr(self, name)}" for name in names)
        return f"{text} held: {self.held}" if self.held else text


class RateLimit:
    """At most `rate` messages per second across all threads (None: no limit)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            start = max(self.next_at, now)
            self.next_at = start + self.interval
        if start > now:
            time.sleep(start - now)


class Stop(threading.Event):
    """Set from outside (SIGTERM) to stop every pass between messages.

    It also knows the transports open meanwhile, so that after a grace period `cut_off`
    can end a send still waiting on a mail server that stopped answering, instead of
    waiting SMTP_TIMEOUT for it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._open: set[Transport] = set()
        self._open_lock = threading.Lock()

    @contextmanager
    def watching(self, transport: Transport) -> Iterator[Transport]:
        """Use `transport` (closed at the end) where cut_off can reach it."""
        with self._open_lock:
            self._open.add(transport)
        try:
            with transport:
                yield transport
        finally:
            with self._open_lock:
                self._open.discard(transport)

    def cut_off(self, grace: float, limit: float) -> bool:
        """Give the sends in flight `grace` seconds to finish, then interrupt the transports
        still open (again every few milliseconds: one may be opening a connection) until
        none is left or `limit` seconds have passed. True when none is left."""
        started = time.monotonic()
        while True:
            with self._open_lock:
                still_open = list(self._open)
            waited = time.monotonic() - started
            if not still_open or waited >= limit:
                return not still_open
            if waited >= grace:
                for transport in still_open:
                    transport.interrupt()
            time.sleep(0.02)


@dataclass
class Job:
    """One delivery run: the instant it is for, the lanes it serves, and how to stop it."""

    engine: Engine
    config: Mapping[str, Any]  # for the builders: links, clinic, sender
    settings: DeliverySettings
    now: datetime
    lanes: frozenset[Lane] = frozenset(Lane)
    stop: Stop = field(default_factory=Stop)  # set from outside (SIGTERM)
    halted: threading.Event = field(default_factory=threading.Event)  # this pass gives up
    counts: Counts = field(default_factory=Counts)
    # Addresses refused (5xx) during this pass: rows for them composed ahead must not go.
    suppressed: set[int] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)
    policy_streak: int = 0
    streak_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def stopping(self) -> bool:
        """Whether to stop between messages: told to from outside, or this pass gave up."""
        return self.stop.is_set() or self.halted.is_set()

    def clock(self) -> datetime:
        """`now` moved on by the time the pass has taken: claims and leases stay truthful."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)

    def policy_refused(self) -> bool:
        """Count one policy refusal; True when that makes POLICY_STREAK in a row."""
        with self.streak_lock:
            self.policy_streak += 1
            return self.policy_streak >= POLICY_STREAK

    def accepted(self) -> None:
        """A message went: the streak of policy refusals is broken."""
        with self.streak_lock:
            self.policy_streak = 0
