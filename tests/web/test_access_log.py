"""Access logs never hold a link token: gunicorn as the Procfile runs it, and the dev server."""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from service import tokens
from service.web.access_log import redact
from tests.conftest import make_app
from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "access-log-test-secret"


@pytest.mark.parametrize(
    ("line", "logged"),
    [
        ('"GET /preferences/abc.DEF-1_x HTTP/1.1" 200', '"GET /preferences/[token] HTTP/1.1" 200'),
        ("POST /unsubscribe/abc.def.ghi", "POST /unsubscribe/[token]"),
        ("GET /confirm/abc.def?x=1", "GET /confirm/[token]?x=1"),
        ("GET /preferences/abc.def/data.json", "GET /preferences/[token]/data.json"),
        ("http://clinic.example/preferences/abc.def/delete", "http://clinic.example/preferences/[token]/delete"),
        ("GET /embed HTTP/1.1", "GET /embed HTTP/1.1"),
        ("GET /static/site.css", "GET /static/site.css"),
    ],
)
def test_redact(line: str, logged: str) -> None:
    assert redact(line) == logged


def _tokens() -> list[str]:
    public_id = "0" * 32
    return [tokens.make_token(SECRET, purpose, public_id)
            for purpose in (tokens.PREFERENCES, tokens.UNSUBSCRIBE, tokens.CONFIRM)]


def _parts(token: str) -> list[str]:
    """The token's payload, timestamp and signature: none may appear in a log."""
    return [part for part in token.split(".") if len(part) >= 6]


def _visit(base: str, prefs: str, unsubscribe: str, confirm: str) -> None:
    """Requests as a patient and a mailbox provider make them, Referer included."""
    requests = [
        urllib.request.Request(f"{base}/preferences/{prefs}",
                               headers={"Referer": f"{base}/unsubscribe/{unsubscribe}"}),
        urllib.request.Request(f"{base}/preferences/{prefs}/data.json"),
        urllib.request.Request(f"{base}/confirm/{confirm}?from=email"),
        urllib.request.Request(f"{base}/unsubscribe/{unsubscribe}",
                               data=b"List-Unsubscribe=One-Click", method="POST"),
    ]
    for request in requests:
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except urllib.error.HTTPError:
            pass  # a 400 for an unknown subscriber is logged like any other answer


def _procfile_web() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise AssertionError("the Procfile has no web process")


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(150):
        if process.poll() is not None:
            raise AssertionError("gunicorn stopped at start")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not answer")


def test_gunicorn_access_log_from_the_procfile_has_no_tokens(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    make_app(database, tmp_path)  # creates the tables
    port = free_port()
    env = {
        **os.environ, "PORT": str(port), "WEB_CONCURRENCY": "1", "DATABASE_URL": database,
        "SECRET_KEY": SECRET, "INSTANCE_PATH": str(tmp_path / "instance"),
        "DOTENV_PATH": str(tmp_path / "no.env"), "BASE_URL": f"http://127.0.0.1:{port}",
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("SMTP_URL", None)
    log = tmp_path / "access.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["bash", "-c", f"exec {_procfile_web()}"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for(f"{base}/healthz", process)
            _visit(base, *_tokens())
        finally:
            process.terminate()
            process.wait(timeout=20)
    text = log.read_text()
    assert "GET /preferences/[token] HTTP/1.1" in text  # the access log is on, and redacted
    assert "POST /unsubscribe/[token] HTTP/1.1" in text
    for token in _tokens():
        assert not [part for part in _parts(token) if part in text]


def test_dev_server_log_has_no_tokens(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'dev.sqlite3'}", tmp_path, SECRET_KEY=SECRET)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            _visit(f"http://127.0.0.1:{port}", *_tokens())
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "werkzeug")
    assert "/preferences/[token]" in logged and "/unsubscribe/[token]" in logged
    for token in _tokens():
        assert not [part for part in _parts(token) if part in logged]
