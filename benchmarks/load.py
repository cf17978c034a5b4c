"""Load: the Procfile's web command (gunicorn) on PostgreSQL under wrk on loopback, posting
JSON signups, each for a new address, for 60 s; against a bare Flask endpoint served by the
same command in the same run, and against that endpoint storing each body as one row
(benchmarks/one_row.py: the least any stored signup costs). Each is warmed up first (every
worker booted, statements prepared) for WARM_UP seconds that are not counted. Besides
requests per second, the CPU a request costs the server: its gunicorn workers plus the
PostgreSQL backends serving them (benchmarks/cpu.py). Then /healthz latency while the
worker sends to a working SMTP sink, and while the SMTP server hangs (accepts connections,
never answers).

The signup rate limits are raised for the run (SIGNUP_RATE_LIMIT): every request comes from
127.0.0.1, which the limits would otherwise stop after ten.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from benchmarks.common import environment, fresh_app, table
from benchmarks.cpu import Meter
from benchmarks.one_row import TABLE as ONE_ROW_TABLE
from benchmarks.sink import Sink, free_port
from service.config import database_url
from service.extensions import db
from service.models import Delivery, Subscriber
from tests.smtp_server import HungServer

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).with_name("signup.lua")
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
WARM_UP = 5  # seconds of load before each measured run


def web_command(app: str = "wsgi:app") -> str:
    """The Procfile's `web:` line, serving `app` instead of the service if asked."""
    found = re.search(r"^web:\s*(.+)$", (ROOT / "Procfile").read_text(), re.MULTILINE)
    if found is None:
        raise SystemExit("the Procfile has no web process")
    return found.group(1).replace("wsgi:app", app)


@dataclass
class Server:
    """A running web command: where it answers, and its master process."""

    base: str
    pid: int


@contextmanager
def served(env: dict[str, str], app: str = "wsgi:app") -> Iterator[Server]:
    """The web command on a free loopback port, until the block ends."""
    port = free_port()
    venv = str(Path(sys.executable).parent)
    env = {**env, "PORT": str(port), "PATH": f"{venv}:{env.get('PATH', '')}"}
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(["bash", "-c", f"exec {web_command(app)}"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, log)
        yield Server(base, process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
        log.close()


def wait_healthy(base: str, process: subprocess.Popen[bytes], log: object) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the web server did not come up on {base}")


@dataclass
class Run:
    """What wrk measured."""

    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors and timeouts
    non_2xx: int
    accepted: int  # 200s, counted by signup.lua
    cpu_ms: float = 0.0  # server CPU per request: gunicorn workers and PostgreSQL backends


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def wrk(url: str, seconds: int, connections: int, script: Path | None = None,
        label: str = "load") -> Run:
    """Run wrk (2 threads) against `url`; its figures. `label` starts the script's addresses."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url, "--", label], check=True, capture_output=True,
                            text=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    answers = re.search(r"ANSWERS accepted=(\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Run(
        requests=int(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(latency["50"]), p99_ms=_ms(latency["99"]),
        errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        accepted=int(answers.group(1)) if answers else 0,
    )


def measured(server: Server, seconds: int, connections: int, engine: Engine) -> tuple[Run, int]:
    """Signups (or the bare endpoint) after a warm-up: the run, and all accepted requests."""
    warm = wrk(server.base + "/subscribe", WARM_UP, connections, SCRIPT, "warm")
    meter = Meter(server.pid, engine)
    meter.start()
    run = wrk(server.base + "/subscribe", seconds, connections, SCRIPT)
    cpu = meter.stop()
    return replace(run, cpu_ms=1000 * cpu / max(run.requests, 1)), warm.accepted + run.accepted


@contextmanager
def one_row_table(engine: Engine) -> Iterator[None]:
    """The table benchmarks/one_row.py writes to, there until the block ends."""
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {ONE_ROW_TABLE}"))
        connection.execute(text(f"CREATE TABLE {ONE_ROW_TABLE} (id bigserial PRIMARY KEY, "
                                "email text UNIQUE NOT NULL, body jsonb NOT NULL)"))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {ONE_ROW_TABLE}"))


@contextmanager
def worker(env: dict[str, str]) -> Iterator[None]:
    """`flask --app wsgi worker`, as the Procfile runs it."""
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(3)  # started, and into its first pass
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:  # it stops within seconds; never leave it behind
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def stored(app_uri: str) -> tuple[int, int, int]:
    """Subscribers, those without a consent record, and confirmations queued."""
    engine = create_engine(app_uri)
    with Session(engine) as session:
        people = session.scalar(select(func.count()).select_from(Subscriber)) or 0
        bare = session.scalar(select(func.count()).select_from(Subscriber).where(
            ~Subscriber.consents.any())) or 0
        mails = session.scalar(select(func.count()).select_from(Delivery)) or 0
    engine.dispose()
    return people, bare, mails


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="10 s runs instead of 60 s")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    seconds = 10 if args.quick else args.seconds
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        raise SystemExit("set BENCH_DATABASE_URL to a PostgreSQL database this may wipe")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make wrk` (Debian's package) installs it")
    uri = database_url(url, "")
    with tempfile.TemporaryDirectory() as folder, fresh_app(uri) as app:
        with app.app_context():
            db.session.commit()
        env = environment(url, folder, SIGNUP_RATE_LIMIT="100000000 per hour",
                          SMTP_URL="smtp://127.0.0.1:9", SECRET_KEY="benchmark-secret")
        engine = create_engine(uri)
        with served(env, "benchmarks.bare:app") as server:
            bare, _ = measured(server, seconds, args.connections, engine)
        with one_row_table(engine), served(env, "benchmarks.one_row:app") as server:
            one_row, _ = measured(server, seconds, args.connections, engine)
        with served(env) as server:
            ours, accepted = measured(server, seconds, args.connections, engine)
            people, bare_rows, mails = stored(uri)
            with Sink() as sink, worker({**env, "SMTP_URL": sink.url}):
                healthy = wrk(server.base + "/healthz", max(5, seconds // 4), 4)
            with HungServer() as hung, worker({**env, "SMTP_URL": hung.url,
                                               "SMTP_TIMEOUT": "120"}):
                hanging = wrk(server.base + "/healthz", max(5, seconds // 4), 4)
        engine.dispose()
    print_report(seconds, args.connections, bare, one_row, ours, accepted, people, bare_rows,
                 mails, healthy, hanging)
    assert ours.errors == 0 and ours.non_2xx == 0, "errors under load"
    assert people >= accepted and bare_rows == 0, "an accepted signup is missing"


def print_report(seconds: int, connections: int, bare: Run, one_row: Run, ours: Run,
                 accepted: int, people: int, bare_rows: int, mails: int, healthy: Run,
                 hanging: Run) -> None:
    print(f"load: wrk -t2 -c{connections} for {seconds} s on loopback (after {WARM_UP} s of "
          "warm-up), JSON signups each for a new address; the Procfile's gunicorn command, "
          "PostgreSQL")
    rows = [[name, f"{r.requests:,}", f"{r.per_second:.0f}", f"{r.p50_ms:.1f}",
             f"{r.p99_ms:.1f}", r.errors, r.non_2xx, f"{r.cpu_ms:.2f}"]
            for name, r in (("bare Flask endpoint", bare), ("one row stored", one_row),
                            ("signup", ours))]
    print(table(["endpoint", "requests", "per s", "p50 ms", "p99 ms", "socket errors",
                 "non-2xx", "server CPU ms/request"], rows))
    print(f"ratio signup / bare: {ours.per_second / bare.per_second:.2f} (goal >= 0.5); "
          f"CPU per request bare / signup: {bare.cpu_ms / ours.cpu_ms:.2f}")
    print(f"ratio one row stored / bare: {one_row.per_second / bare.per_second:.2f}; "
          f"signup / one row stored: {ours.per_second / one_row.per_second:.2f}")
    print(f"accepted {accepted:,} (warm-up included); stored {people:,} subscribers "
          f"({bare_rows} without consent), {mails:,} confirmations queued")
    rows = [[name, f"{r.per_second:.0f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}", r.errors]
            for name, r in (("worker sending to a sink", healthy),
                            ("worker stuck on a hung SMTP server", hanging))]
    print(table(["/healthz while", "per s", "p50 ms", "p99 ms", "errors"], rows))
    print(f"p99 ratio hung / sending: {hanging.p99_ms / healthy.p99_ms:.2f} (goal: unchanged)")


if __name__ == "__main__":
    main()
