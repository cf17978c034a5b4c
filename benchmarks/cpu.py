"""CPU seconds spent by a server: its worker processes and its PostgreSQL backends.

On a machine shared with other work, requests per second move with the neighbours; the
CPU a request costs the server (web workers plus the database backends serving them)
moves far less, so the load benchmark reports both. Linux only (/proc).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, text

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone
        return None
    return raw[raw.rindex(")") + 2:].split()  # the fields after the command name


def process_seconds(pid: int) -> float:
    """User plus system CPU of one process, 0 if it is gone."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK if fields else 0.0


def children(parent: int) -> list[int]:
    """The processes whose parent is `parent` (gunicorn's workers, for its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and \
                int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def backends(engine: Engine) -> list[int]:
    """The PostgreSQL backends connected to the engine's database, but the one asking."""
    with engine.connect() as connection:
        return list(connection.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")))


class Meter:
    """CPU of a web server's workers and of the database backends, from start() to stop()."""

    def __init__(self, master: int, engine: Engine) -> None:
        self.master = master
        self.engine = engine
        self.before: dict[int, float] = {}

    def _now(self) -> dict[int, float]:
        pids = children(self.master) + backends(self.engine)
        return {pid: process_seconds(pid) for pid in pids}

    def start(self) -> None:
        self.before = self._now()

    def stop(self) -> float:
        """CPU seconds used since start() (a process that appeared meanwhile counts whole)."""
        after = self._now()
        return sum(seconds - self.before.get(pid, 0.0) for pid, seconds in after.items())
