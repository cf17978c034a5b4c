"""`flask db upgrade` builds the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from service.config import database_url
from service.extensions import db
from service.models import Base
from tests.conftest import POSTGRES_URL, make_app


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (a fresh PostgreSQL database is made and dropped)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    server = make_url(database_url(POSTGRES_URL, ""))
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_builds_the_models_schema(empty_database: str, tmp_path: Path) -> None:
    app = make_app(empty_database, tmp_path, SKIP_CREATE_ALL=True)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    with app.app_context():
        db.engine.dispose()
    assert result.exit_code == 0, result.output

    engine = create_engine(empty_database)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert {"subscriber", "consent", "lesson", "lesson_revision", "enrolment", "delivery"} <= tables
    assert differences == []


def test_upgrade_twice_changes_nothing(empty_database: str, tmp_path: Path) -> None:
    app = make_app(empty_database, tmp_path, SKIP_CREATE_ALL=True)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    again = runner.invoke(args=["db", "upgrade"])
    with app.app_context():
        db.engine.dispose()
    assert again.exit_code == 0, again.output
