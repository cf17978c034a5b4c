"""Fixtures for the admin: staff of each role, and clients logged in as them (CSRF on).

`login(client, email)` logs in through the real form; `staff_client(role)` gives a fresh
client logged in as a new staff member of that role; `editor`, `reviewer` and `owner` are
ready-made clients; `as_role` is parametrized over the three roles.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.extensions import db
from service.models import Staff, StaffRole
from service.staff import accounts
from tests.conftest import make_app
from tests.web.conftest import csrf_token, load_course

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


@pytest.fixture
def admin_app(database: str, tmp_path: Path) -> Iterator[Flask]:
    """An app with the course loaded; mail goes to the dev outbox; CSRF is on."""
    app = make_app(database, tmp_path)
    assert app.config.get("WTF_CSRF_ENABLED", True), "admin tests run with CSRF on"
    load_course(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def make_staff(app: Flask, role: str, email: str | None = None, **details: object) -> str:
    """Create a staff login (password PASSWORD) and return its address."""
    address = email or f"{role}{next(_numbers)}@clinic.example"
    with app.app_context():
        accounts.create(db.session, None, address, PASSWORD, role, **details)  # type: ignore[arg-type]
        db.session.commit()
    return address


def login(
    client: FlaskClient, email: str, password: str = PASSWORD, **request: object
) -> TestResponse:
    """Fill in and submit the login form, as a person would."""
    page = client.get("/admin/login")
    return client.post(
        "/admin/login",
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
        **request,  # type: ignore[arg-type]
    )


def token_of(client: FlaskClient, path: str = "/admin/") -> str:
    """A CSRF token for the client's session, read from an admin page."""
    return csrf_token(client.get(path).text)


@pytest.fixture
def staff_client(admin_app: Flask) -> Callable[..., FlaskClient]:
    """Make a staff member of `role` and return a client logged in as them."""

    def make(role: str, **details: object) -> FlaskClient:
        client = admin_app.test_client()
        response = login(client, make_staff(admin_app, role, **details))
        assert response.status_code == 302, response.text
        return client

    return make


@pytest.fixture
def editor(staff_client: Callable[..., FlaskClient]) -> FlaskClient:
    return staff_client(StaffRole.EDITOR)


@pytest.fixture
def reviewer(staff_client: Callable[..., FlaskClient]) -> FlaskClient:
    return staff_client(StaffRole.REVIEWER, is_clinician=True, credentials="RMT")


@pytest.fixture
def owner(staff_client: Callable[..., FlaskClient]) -> FlaskClient:
    return staff_client(StaffRole.OWNER)


@pytest.fixture(params=[role.value for role in StaffRole])
def as_role(
    request: pytest.FixtureRequest, staff_client: Callable[..., FlaskClient]
) -> FlaskClient:
    """A client logged in as each role in turn."""
    return staff_client(request.param)


def staff_row(app: Flask, email: str) -> Staff:
    """The stored staff row, detached."""
    with app.app_context():
        staff = accounts.find(db.session, email)
        assert staff is not None
        db.session.expunge(staff)
        return staff
