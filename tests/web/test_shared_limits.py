"""The signup limits in a shared store (RATELIMIT_STORAGE_URI=redis://…) with a real
redis-server: every web worker and machine counts together; a store that stops, or hangs,
costs no signup more than a moment, and once back it is used again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from service.extensions import db
from service.web import rate_limits
from tests.conftest import make_app
from tests.redis_server import RedisServer, available
from tests.smtp_server import HungServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if not available():
        pytest.skip("redis-server is missing: install Debian's redis-server (make redis)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Flask]]:
    """Apps made on demand, as separate web workers (or machines) on one database."""
    made: list[Flask] = []
    yield made
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _worker(workers: list[Flask], tmp_path: Path, store: str) -> Flask:
    app = make_app(f"sqlite:///{tmp_path / 'shared.sqlite3'}", tmp_path,
                   RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2 per hour",
                   RATELIMIT_STORAGE_URI=store)
    workers.append(app)
    return app


def _sign_up(app: Flask, email: str, ip: str = "203.0.113.7") -> int:
    answer = app.test_client().post("/subscribe", json={"email": email, "consent": True},
                                    environ_base={"REMOTE_ADDR": ip})
    return answer.status_code


def test_two_workers_share_one_count(redis_server: RedisServer, workers: list[Flask],
                                     tmp_path: Path) -> None:
    first = _worker(workers, tmp_path, redis_server.url)
    second = _worker(workers, tmp_path, redis_server.url)
    assert [_sign_up(first, "a@example.com"), _sign_up(second, "b@example.com"),
            _sign_up(first, "c@example.com")] == [200, 200, 429]
    assert _sign_up(second, "d@example.com", ip="203.0.113.8") == 200  # another IP
    # The per-address count is shared too: the same address from new IPs, on either worker.
    assert [_sign_up(second, "e@example.com", ip=f"198.51.100.{n}") for n in range(2)] == [
        200, 200]
    assert _sign_up(first, "E@Example.com", ip="198.51.100.9") == 429


def test_with_memory_each_worker_counts_alone(workers: list[Flask], tmp_path: Path) -> None:
    """What the shared store is for: with memory://, each worker allows the limit itself."""
    first = _worker(workers, tmp_path, "memory://")
    second = _worker(workers, tmp_path, "memory://")
    assert [_sign_up(first, "a@example.com"), _sign_up(second, "b@example.com"),
            _sign_up(first, "c@example.com")] == [200, 200, 200]


def test_a_store_that_stops_and_starts_again(redis_server: RedisServer, workers: list[Flask],
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    app = _worker(workers, tmp_path, redis_server.url)
    assert _sign_up(app, "a@example.com") == 200  # counted in Redis
    redis_server.stop()
    started = time.monotonic()
    assert _sign_up(app, "b@example.com") == 200  # counted in memory, with a log line
    assert time.monotonic() - started < 5
    assert any("rate limit store unavailable" in r.getMessage().lower() for r in caplog.records)
    # Memory counts from nothing, and still limits: 2 per hour.
    assert [_sign_up(app, "c@example.com"), _sign_up(app, "d@example.com")] == [200, 429]

    redis_server.start()  # empty: Redis here keeps nothing on disk
    monkeypatch.setattr(app.extensions[rate_limits.EXTENSION], "down_until", 0.0)
    other = _worker(workers, tmp_path, redis_server.url)
    assert _sign_up(app, "e@example.com") == 200  # counted in Redis again…
    assert _sign_up(other, "f@example.com") == 200  # …where the other worker sees it
    assert _sign_up(other, "g@example.com") == 429


def test_a_store_that_hangs_holds_a_signup_for_seconds_not_forever(
    workers: list[Flask], tmp_path: Path
) -> None:
    with HungServer() as silent:  # accepts connections, never answers
        app = _worker(workers, tmp_path, f"redis://127.0.0.1:{silent.port}/0")
        started = time.monotonic()
        assert _sign_up(app, "a@example.com") == 200
        waited = time.monotonic() - started
        assert waited < rate_limits.STORE_TIMEOUT * 2 + 2
        started = time.monotonic()
        assert _sign_up(app, "b@example.com") == 200  # memory now: no wait at all
        assert time.monotonic() - started < 1
