"""What only the production server shows: the Procfile's web command, run as the platform
runs it, keeps answering while slow clients trickle their request bodies."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_app
from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def web_command() -> str:
    """The Procfile's `web:` line, as the platform would run it."""
    found = re.search(r"^web:\s*(.+)$", (ROOT / "Procfile").read_text(), re.MULTILINE)
    assert found, "the Procfile has no web process"
    return found.group(1)


def _answers(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[str]:
    """The web process on loopback, on a SQLite file with the schema in place."""
    database = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    make_app(database, tmp_path)  # creates the tables
    port = free_port()
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": database,
           "SECRET_KEY": "test-secret-key", "INSTANCE_PATH": str(tmp_path / "instance"),
           "BASE_URL": "http://localhost", "DOTENV_PATH": os.devnull,
           "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
    process = subprocess.Popen(["bash", "-c", f"exec {web_command()}"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not (up := _answers(url + "/healthz", 1)) and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        assert up, "gunicorn did not start"  # a setup error, never an expected failure
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)


def _half_a_body(port: int) -> socket.socket:
    """A client that promises a signup body and sends a tenth of it, then waits."""
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(b"POST /subscribe/embed HTTP/1.1\r\nHost: localhost\r\n"
                   b"Content-Type: application/x-www-form-urlencoded\r\n"
                   b"Content-Length: 1000\r\n\r\nemail=slow")
    return client


def test_slow_clients_do_not_freeze_the_site(gunicorn: str) -> None:
    port = int(gunicorn.rsplit(":", 1)[1])
    slow = [_half_a_body(port) for _ in range(4)]
    try:
        time.sleep(0.5)  # each slow client now holds whatever serves it
        start = time.monotonic()
        assert _answers(gunicorn + "/healthz", timeout=5), "the health check got no answer"
        assert time.monotonic() - start < 2
    finally:
        for client in slow:
            client.close()
