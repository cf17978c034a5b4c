"""Shared fixtures: an app on SQLite (and on PostgreSQL when TEST_DATABASE_URL is set),
its test client and CLI runner, and a real SMTP server on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from service import create_app
from service.config import database_url
from service.extensions import db
from service.models import Base
from tests.smtp_server import SMTPServer

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """Create the tables once per run on the PostgreSQL test database."""
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    url = database_url(POSTGRES_URL, "")
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url


def _truncate_postgres(url: str) -> None:
    """Empty every table. A connection an earlier test left inside a transaction would make
    TRUNCATE wait for ever: after a while, this ends such connections and fails, naming them."""
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    try:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '30s'"))
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    except OperationalError:
        with engine.begin() as connection:
            left = connection.execute(text(
                "SELECT pg_terminate_backend(pid), state, query FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state LIKE 'idle in transaction%'")).all()
        pytest.fail(f"an earlier test left connections in a transaction: {left}")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, empty schema; the PostgreSQL variant skips without TEST_DATABASE_URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    url: str = request.getfixturevalue("postgres_schema")
    _truncate_postgres(url)
    return url


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


def make_app(database: str, tmp_path: Path, **overrides: object) -> Flask:
    """An app for tests: its own instance folder, dev outbox and database."""
    config = {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database,
        "SECRET_KEY": "test-secret-key",
        "BASE_URL": "http://localhost",
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "SMTP_URL": None,
        "CLINIC_NAME": "Calm Hands Massage",
        "CLINIC_POSTAL_ADDRESS": "12 Elm Street, Springfield, IL 62701",
        "CLINIC_PHONE": "(217) 555-0134",
        "CLINIC_BOOKING_URL": "https://calmhands.example/book",
        "CLINIC_TIMEZONE": "America/Chicago",
        "MAIL_FROM": "Calm Hands Massage <hello@calmhands.example>",
        "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        if database.startswith("sqlite") and not overrides.get("SKIP_CREATE_ALL"):
            db.create_all()
    return app


@pytest.fixture
def app(database: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database, tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """For tests that need a database but nothing database-specific."""
    app = make_app(f"sqlite:///{tmp_path / 'test.sqlite3'}", tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def pytest_report_header() -> str:
    if POSTGRES_URL:
        return "database tests: SQLite and PostgreSQL (TEST_DATABASE_URL)"
    return "database tests: SQLite only; set TEST_DATABASE_URL to run them on PostgreSQL too"


def _runs_on_postgres(item: pytest.Item) -> bool:
    """A PostgreSQL variant of a database test, or a test asking for PostgreSQL itself."""
    if "postgres_schema" in getattr(item, "fixturenames", ()):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "postgresql" in callspec.params.values()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without TEST_DATABASE_URL, leave the PostgreSQL variants out (one line says so)."""
    if POSTGRES_URL:
        return
    left_out = [item for item in items if _runs_on_postgres(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _runs_on_postgres(item)]
    config.stash[_LEFT_OUT] = len(left_out)


_LEFT_OUT = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if left_out := config.stash.get(_LEFT_OUT, 0):
        terminalreporter.write_line(
            f"{left_out} PostgreSQL tests not run: set TEST_DATABASE_URL to run them too"
        )
