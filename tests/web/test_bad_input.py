"""Malformed requests answer 4xx with a message, never 5xx; a rate-limit store that is
down lets signups through, with a log line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from service.extensions import db
from service.web import rate_limits
from service.web.counters import MemoryCounters
from tests.conftest import make_app
from tests.web.conftest import csrf_token

NAMELESS = (b"--B\r\nContent-Disposition: form-data\r\n\r\nno name\r\n"
            b'--B\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.com\r\n'
            b"--B--\r\n")
CSRF_CHECKED = ["/subscribe", "/links/fresh", "/preferences/x", "/preferences/x/pause",
                "/preferences/x/resume", "/preferences/x/restart", "/preferences/x/delete",
                "/preferences/x/subscribe-again", "/preferences/x/log-out"]


def test_an_unpaired_surrogate_in_a_form_or_json_is_never_a_5xx(sqlite_app: Flask) -> None:
    client = sqlite_app.test_client()
    token = csrf_token(client.get("/").text)
    form = client.post("/subscribe", content_type="application/x-www-form-urlencoded",
                       data=f"csrf_token={token}&email=a%40example.com&first_name=%ED%A0%80"
                            "&consent=yes")
    assert form.status_code < 500  # werkzeug reads the bad bytes as U+FFFD: no surrogate
    answer = client.post("/subscribe", content_type="application/json",
                         data=json.dumps({"email": "a@example.com", "first_name": "\ud800",
                                          "consent": True}))
    assert answer.status_code == 400 and "invalid character" in answer.json["message"]


def test_a_nul_anywhere_in_a_request_is_a_400_before_any_view(sqlite_app: Flask) -> None:
    """PostgreSQL cannot store a NUL: the admin's search, lesson and login forms all met one."""
    client = sqlite_app.test_client()
    token = csrf_token(client.get("/admin/login").text)
    answers = [
        client.get("/admin/subscribers?q=%00"),
        client.get("/admin/lessons/a%00b"),
        client.post("/admin/login", data={"csrf_token": token, "email": "a\x00@b.example",
                                          "password": "x"}),
        client.post("/admin/login", content_type="application/x-www-form-urlencoded",
                    data=f"csrf_token={token}&email=a%40b.example&email=b%00&password=x"),
        client.post("/subscribe", json={"email": "a@example.com", "first_name": "A\u0000",
                                        "consent": True}),
    ]
    assert [a.status_code for a in answers] == [400] * len(answers)
    assert all("invalid character" in a.text for a in answers)


def test_deeply_nested_json_is_a_400(sqlite_app: Flask) -> None:
    body = '{"email": ' + "[" * 5000 + "]" * 5000 + ', "consent": true}'
    answer = sqlite_app.test_client().post("/subscribe", data=body,
                                           content_type="application/json")
    assert answer.status_code == 400 and "nested" in answer.json["message"]


@pytest.mark.parametrize("path", CSRF_CHECKED)
def test_a_multipart_part_without_a_name_is_a_400_on_every_csrf_checked_post(
    sqlite_app: Flask, path: str
) -> None:
    answer = sqlite_app.test_client().post(path, data=NAMELESS,
                                           content_type="multipart/form-data; boundary=B")
    assert answer.status_code == 400, path
    assert "without a field name" in answer.text


class DownStorage(MemoryCounters):
    """A rate-limit store whose server is unreachable: every call fails."""

    def incr(self, *args: object, **kwargs: object) -> int:
        raise ConnectionError("rate-limit store unreachable")

    def get(self, *args: object, **kwargs: object) -> int:
        raise ConnectionError("rate-limit store unreachable")

    def check(self) -> bool:
        return False


@pytest.fixture
def limited_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(f"sqlite:///{tmp_path / 't.sqlite3'}", tmp_path, RATELIMIT_ENABLED=True)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_signups_go_through_with_a_log_line_when_the_rate_limit_store_is_down(
    limited_app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(limited_app.extensions[rate_limits.EXTENSION], "store", DownStorage())
    with caplog.at_level(logging.WARNING):
        answer = limited_app.test_client().post(
            "/subscribe", json={"email": "a@example.com", "consent": True})
    assert answer.status_code == 200
    assert any("rate limit store unavailable" in r.getMessage().lower() for r in caplog.records)


def test_while_the_store_is_down_the_limits_still_count_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 't.sqlite3'}", tmp_path, RATELIMIT_ENABLED=True,
                   SIGNUP_RATE_LIMIT="2 per hour")
    down = DownStorage()
    monkeypatch.setattr(app.extensions[rate_limits.EXTENSION], "store", down)
    client = app.test_client()
    codes = [client.post("/subscribe", json={"email": f"p{n}@example.com", "consent": True}
                         ).status_code for n in range(3)]
    assert codes == [200, 200, 429]
    with app.app_context():
        db.engine.dispose()


def test_a_store_that_comes_back_is_used_again(limited_app: Flask,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    found = limited_app.extensions[rate_limits.EXTENSION]
    monkeypatch.setattr(found, "store", DownStorage())
    client = limited_app.test_client()
    client.post("/subscribe", json={"email": "a@example.com", "consent": True})
    assert found.down_until > 0
    back = MemoryCounters()
    monkeypatch.setattr(found, "store", back)
    monkeypatch.setattr(found, "down_until", 0.0)  # RETRY_STORE_AFTER has passed
    client.post("/subscribe", json={"email": "b@example.com", "consent": True})
    assert len(back) == 2  # this signup's IP and address, counted in the store again


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("SIGNUP_RATE_LIMIT", "lots", "SIGNUP_RATE_LIMIT must read like"),
    ("RATELIMIT_STORAGE_URI", "async+memory://", "RATELIMIT_STORAGE_URI must name"),
    ("RATELIMIT_STORAGE_URI", "nope://x", "unknown storage scheme"),
])
def test_limit_settings_that_cannot_work_stop_the_start(tmp_path: Path, setting: str,
                                                        value: str, message: str) -> None:
    with pytest.raises(Exception, match=message):
        make_app(f"sqlite:///{tmp_path / 't.sqlite3'}", tmp_path, **{setting: value})
