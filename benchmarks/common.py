"""Shared pieces: databases to run against, an app for each, printing a table."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text

from service import create_app
from service.config import database_url
from service.extensions import db
from service.models import Base

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
CONFIG = {
    "SECRET_KEY": "benchmark-secret",
    "BASE_URL": "https://clinic.example",
    "MAIL_FROM": "Calm Hands Massage <hello@calmhands.example>",
    "CLINIC_NAME": "Calm Hands Massage",
    "CLINIC_POSTAL_ADDRESS": "12 Elm Street, Springfield, IL 62701",
    "CLINIC_PHONE": "(217) 555-0134",
    "CLINIC_BOOKING_URL": "https://calmhands.example/book",
    "CLINIC_TIMEZONE": "America/Chicago",
    "RATELIMIT_ENABLED": False,
}


def environment(uri: str, folder: str, **settings: object) -> dict[str, str]:
    """The environment a `flask --app wsgi …` process of this benchmark runs with."""
    env = {**os.environ, "DATABASE_URL": uri, "INSTANCE_PATH": folder,
           "DOTENV_PATH": os.devnull, "SIGNUP_RATE_LIMIT": "10000 per hour"}
    env.update({name: str(value) for name, value in CONFIG.items()
                if isinstance(value, str)})
    env.update({name: str(value) for name, value in settings.items()})
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def flask(args: Sequence[str], env: dict[str, str]) -> tuple[str, float, float]:
    """Run one `flask --app wsgi …` command as an operator would: output, seconds, CPU s."""
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], env=env,
                          check=True, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    return done.stdout, time.perf_counter() - start, _children_cpu() - cpu


def databases() -> list[tuple[str, str | None]]:
    """SQLite; PostgreSQL too when BENCH_DATABASE_URL names a database we may wipe."""
    found: list[tuple[str, str | None]] = [("sqlite", None)]
    if os.environ.get("BENCH_DATABASE_URL"):
        found.append(("postgresql", database_url(os.environ["BENCH_DATABASE_URL"], "")))
    only = os.environ.get("BENCH_ONLY")  # e.g. BENCH_ONLY=postgresql to rerun one
    return [(name, url) for name, url in found if not only or name == only]


@contextmanager
def fresh_app(url: str | None, **overrides: Any) -> Iterator[Flask]:
    """An app on an empty schema: a new SQLite file, or the PostgreSQL database wiped."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["INSTANCE_PATH"] = folder
        if url is None:
            uri = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        else:
            uri = url
            engine = create_engine(uri)
            Base.metadata.drop_all(engine)
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            engine.dispose()
        app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": uri,
                          "OUTBOX_DIR": str(Path(folder) / "outbox"), **overrides})
        with app.app_context():
            db.create_all()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, right-aligned numbers."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def add_course(app: Flask) -> None:
    """The real course from lessons/, so messages are as large as the ones patients get."""
    from service.course.importer import import_lessons
    from service.models import utcnow

    with app.app_context():
        import_lessons(db.session(), LESSONS, utcnow())
        db.session.commit()
