"""Fixtures for the admin: staff of each role, and clients logged in as them (CSRF on).

`login(client, email)` logs in through the real form; `staff_client(role)` gives a fresh
client logged in as a new staff member of that role; `editor`, `reviewer` and `owner` are
ready-made clients; `as_role` is parametrized over the three roles. `seed_clinic(app)` fills
an app with what a clinic a day into its course has, for the tests that walk every page.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.course import review, revisions
from service.course.lineup import get_lesson
from service.delivery.dispatch import run_pass
from service.extensions import db
from service.models import Staff, StaffRole, Subscriber, utcnow
from service.newsletter.issues import create_issue
from service.staff import accounts
from service.subscriptions import operations, preferences
from tests.conftest import make_app
from tests.web.conftest import csrf_token, load_course, sign_up
from tests.web.pages import local_url, serve

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


@dataclass
class Clinic:
    """What `seed_clinic` made: staff addresses and ids by role, patient ids by first name,
    the revision waiting for review, a dev-outbox file and a newsletter draft."""

    staff: dict[str, str] = field(default_factory=dict)
    staff_ids: dict[str, int] = field(default_factory=dict)
    patients: dict[str, int] = field(default_factory=dict)
    in_review: tuple[str, int] = ("", 0)
    outbox_file: str = ""
    issue_id: int = 0


PATIENTS = {"Maria": "maria.lopez@example.com", "Sam": "sam@example.com",
            "Lee": "lee@example.com", "June": "june@example.com", "Kim": "kim@example.com"}


def seed_clinic(app: Flask) -> Clinic:
    """The course loaded; an owner, an editor and a clinician reviewer; patients who signed
    up through the public form: Maria and Sam active, Lee not yet confirmed, June paused,
    Kim unsubscribed; the worker's pass run (lesson 1 and a confirmation in the dev outbox);
    a lesson edit waiting for review, another sent back; a newsletter draft."""
    clinic = Clinic()
    load_course(app)
    clinic.staff = {
        "owner": make_staff(app, "owner", "olga@clinic.example", display_name="Olga Owner",
                            is_clinician=True, credentials="RMT"),
        "editor": make_staff(app, "editor", "rita@clinic.example",
                             display_name="Rita (reception)"),
        "reviewer": make_staff(app, "reviewer", "ana@clinic.example", display_name="Ana Ruiz",
                               is_clinician=True, credentials="DPT"),
    }
    client = app.test_client()
    for name, email in PATIENTS.items():
        assert sign_up(client, email, name).status_code == 200
    now = utcnow()
    with app.app_context():
        session = db.session()
        people = {s.first_name: s for s in session.query(Subscriber)}
        for name in ("Maria", "Sam", "June", "Kim"):
            operations.confirm(session, people[name], now)
        preferences.pause(session, people["June"], None, now)
        preferences.unsubscribe(session, people["Kim"], preferences.Scope.ALL, now)
        editor = accounts.find(session, clinic.staff["editor"])
        reviewer = accounts.find(session, clinic.staff["reviewer"])
        assert editor is not None and reviewer is not None
        for slug, words in (("causes", "Sitting for a long time can add to the strain."),
                            ("your-session", "Bring loose clothes.")):
            lesson = get_lesson(session, slug)
            assert lesson is not None
            fields = revisions.fields_of(lesson.published)  # type: ignore[arg-type]
            edited = revisions.parse_fields({
                "subject": fields.subject, "preheader": fields.preheader,
                "delay_days": str(fields.delay_days), "sources": "\n".join(fields.sources),
                "body": fields.body + "\n" + words + "\n"})
            review.save_draft(session, lesson, edited, editor, now)
            draft = review.submit(session, lesson, editor, now)
            if slug == "your-session":
                review.send_back(session, lesson, draft.number, reviewer,
                                 "Say what to wear in plain words.", now)
            else:
                clinic.in_review = (slug, draft.number)
        clinic.issue_id = create_issue(session, "Spring stretches", "Three moves for April",
                                       "Try these three stretches.", now, by="Olga Owner").id
        clinic.patients = {s.first_name: s.id for s in people.values()}
        clinic.staff_ids = {role: accounts.find(session, email).id  # type: ignore[union-attr]
                            for role, email in clinic.staff.items()}
        session.commit()
    run_pass(app, utcnow())
    clinic.outbox_file = sorted(p.name for p in Path(app.config["OUTBOX_DIR"]).glob("*.eml"))[0]
    return clinic


class ClinicSite:
    """A seeded clinic (see `seed_clinic`) served on loopback for the browser tests."""

    def __init__(self, app: Flask, url: str, clinic: Clinic) -> None:
        self.app, self.url, self.clinic = app, url, clinic


@pytest.fixture(scope="module")
def clinic_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClinicSite]:
    """One seeded clinic per test module, served at a loopback address; mail goes to the
    dev outbox."""
    folder = tmp_path_factory.mktemp("clinic")
    app = make_app(f"sqlite:///{folder / 'clinic.sqlite3'}", folder, BASE_URL=local_url())
    clinic = seed_clinic(app)
    with serve(app) as url:
        yield ClinicSite(app, url, clinic)
    with app.app_context():
        db.engine.dispose()
