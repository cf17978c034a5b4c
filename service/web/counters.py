"""Rate-limit counters in this process's memory, each forgotten when its window ends.

The `limits` library's own MemoryStorage forgets ended windows by scanning every key it
holds, from a timer thread it starts again (up to every 10 ms) as hits come in. The signup
limits keep a key per address signed up, so that scan grew with the traffic: thousands of
addresses an hour cost each web worker a scan of thousands of keys up to a hundred times
a second, holding the GIL, and an attacker with many addresses made it worse. Here each
window's end also goes into a heap, and every call first drops the windows that have
ended: O(log n) a hit, no thread.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable

from limits.storage import Storage


class MemoryCounters(Storage):
    """Fixed-window counters (what `limits` calls a storage) for one process; thread-safe."""

    STORAGE_SCHEME = None  # made by service.web.rate_limits, never from a URI

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._counts: dict[str, int] = {}
        self._ends: dict[str, float] = {}  # when each key's window ends, on `clock`
        self._heap: list[tuple[float, str]] = []  # (end, key); stale entries are skipped
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception]:
        return RuntimeError  # nothing here talks to anything that fails

    def _forget_ended(self, now: float) -> None:
        heap, ends = self._heap, self._ends
        while heap and heap[0][0] <= now:
            end, key = heapq.heappop(heap)
            if ends.get(key) == end:  # not a key cleared, or counted again, meanwhile
                del ends[key]
                del self._counts[key]

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to `key`'s count, starting a window of `expiry` seconds if it has none."""
        with self._lock:
            now = self._clock()
            self._forget_ended(now)
            if key not in self._counts:
                self._counts[key] = 0
                self._ends[key] = now + expiry
                heapq.heappush(self._heap, (now + expiry, key))
            self._counts[key] += amount
            return self._counts[key]

    def get(self, key: str) -> int:
        with self._lock:
            self._forget_ended(self._clock())
            return self._counts.get(key, 0)

    def get_expiry(self, key: str) -> float:
        """When `key`'s window ends, as a Unix time (`limits` reports it so)."""
        with self._lock:
            now = self._clock()
            return time.time() + max(0.0, self._ends.get(key, now) - now)

    def check(self) -> bool:
        return True

    def reset(self) -> int:
        with self._lock:
            count = len(self._counts)
            self._counts.clear()
            self._ends.clear()
            self._heap.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)
            self._ends.pop(key, None)

    def __len__(self) -> int:
        """How many keys are held now: what the memory the counters use grows with."""
        with self._lock:
            self._forget_ended(self._clock())
            return len(self._counts)
