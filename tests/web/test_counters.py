"""The in-memory rate-limit counters: fixed windows, forgotten when they end, no thread."""

from __future__ import annotations

import threading

import pytest

from service.web.counters import MemoryCounters


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.mark.parametrize(("hits_at", "expected"), [
    ([0, 1, 2], [1, 2, 3]),  # one window
    ([0, 59.9, 60], [1, 2, 1]),  # the window of 60 s ends at 60: a new one starts
    ([0, 30, 90, 100], [1, 2, 1, 2]),  # the second window starts at the first hit after
])
def test_counts_run_in_windows_from_the_first_hit(clock: Clock, hits_at: list[float],
                                                  expected: list[int]) -> None:
    counters = MemoryCounters(clock)
    counts = []
    for at in hits_at:
        clock.now = 1000.0 + at
        counts.append(counters.incr("k", 60))
    assert counts == expected


def test_ended_windows_are_forgotten_so_memory_stays_bounded(clock: Clock) -> None:
    counters = MemoryCounters(clock)
    for n in range(1000):
        counters.incr(f"address:{n}@example.com", 60)
    assert len(counters) == 1000
    clock.now += 61
    counters.incr("address:late@example.com", 60)
    assert len(counters) == 1 and counters.get("address:0@example.com") == 0
    assert len(counters._heap) == 1  # the ended windows left the heap too


def test_keys_are_counted_apart_and_cleared_alone(clock: Clock) -> None:
    counters = MemoryCounters(clock)
    counters.incr("a", 60)
    counters.incr("a", 60, amount=2)
    counters.incr("b", 60)
    counters.clear("a")
    assert (counters.get("a"), counters.get("b")) == (0, 1)
    assert counters.incr("a", 60) == 1
    clock.now += 61  # the cleared window's old end passes without touching the new count
    assert counters.get("a") == 0 and counters.reset() == 0


def test_a_key_counted_again_after_a_clear_keeps_its_new_window(clock: Clock) -> None:
    counters = MemoryCounters(clock)
    counters.incr("a", 60)
    counters.clear("a")
    clock.now += 30
    counters.incr("a", 60)
    clock.now += 40  # past the first window's end, inside the second
    assert counters.get("a") == 1


def test_no_thread_is_started() -> None:
    before = threading.active_count()
    counters = MemoryCounters()
    for n in range(100):
        counters.incr(f"k{n}", 1)
    assert threading.active_count() == before


def test_hits_from_many_threads_are_all_counted() -> None:
    counters = MemoryCounters()

    def hit() -> None:
        for _ in range(500):
            counters.incr("shared", 3600)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counters.get("shared") == 4000
