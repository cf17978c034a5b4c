"""GET /healthz answers 200 when the database answers, 503 when it does not."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from service.extensions import db
from tests.conftest import make_app


def test_healthz_is_ok_when_the_database_answers(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200


def test_healthz_fails_when_the_database_is_unreachable(tmp_path: Path) -> None:
    app = make_app(
        f"sqlite:///{tmp_path / 'no-such-dir' / 'x.sqlite3'}", tmp_path, SKIP_CREATE_ALL=True
    )
    response = app.test_client().get("/healthz")
    with app.app_context():
        db.engine.dispose()
    assert response.status_code == 503
