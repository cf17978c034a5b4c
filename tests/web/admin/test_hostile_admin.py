"""The admin's POST endpoints, attacked (hypothesis) by a stranger and by staff of each role:
every answer is below 500 with the caller's markup escaped; without a login, without the
role, or without the session's own CSRF token, nothing changes; a form that fails changes
nothing; whatever changes is in the audit log; every stored record stays whole.

The endpoints come from app.url_map, so a new admin form is attacked without editing this
file. `FORMS` gives the known ones plausible fields to start from, so that examples get past
the first check and into the operations; any field may still be hostile instead.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from hypothesis import Phase, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.routing import AnyConverter, Rule
from werkzeug.test import encode_multipart

from service.extensions import db
from service.models import AuditEntry, Base, Lesson, Staff, StaffRole, utcnow
from service.newsletter import issues
from service.web.admin.access import PUBLIC_ENDPOINTS
from tests.conftest import _truncate_postgres, make_app
from tests.web.admin.conftest import login, make_staff, seed_clinic, token_of
from tests.web.conftest import csrf_token
from tests.web.hostile import (
    BODY_KINDS,
    CANARY,
    HOSTILE,
    QUICK,
    TEXT,
    TRUNCATED_BODIES,
    assert_answered,
    body,
    stored_whole,
)

pytestmark = TRUNCATED_BODIES
# Few examples: each one sends a request to every admin form, and reads every table twice
# around each request. No shrinking: the clinic's state carries over from one example to
# the next, so a replay is not the same run; each assertion names endpoint, role and answer.
FEW = settings(QUICK, max_examples=3, phases=[Phase.explicit, Phase.generate])
ROLES = ("editor", "reviewer", "owner")
# Written by refusals too (a failed login is counted), so left out of "nothing changed".
BOOKKEEPING = frozenset({"audit_entry", "login_failure"})

LESSON = {
    "subject": ["Gentle moves for your back", CANARY],
    "preheader": ["", "Three easy moves"],
    "delay_days": ["1", "2", "0", "60", "61", "-1"],
    "body": ["Walking a little each day helps many people.\n",
             "## Try this\n\n- Lie on your back.\n- Hug one knee.\n", "<script>alert(1)</script>"],
    "sources": ["", "https://www.nhs.uk/conditions/sciatica/"],
    "action": ["save", "submit", "preview"],
    "view": ["desktop", "phone", "text"],
}
STAFF = {
    "email": ["nina@clinic.example", "not an address", "OLGA@clinic.example"],
    "display_name": ["Nina New", CANARY], "role": ["editor", "reviewer", "owner", "root"],
    "is_clinician": ["y", ""], "credentials": ["RMT", ""], "sign_reviews": ["y", ""],
    "active": ["y", ""], "password": ["a long passphrase here", "short", ""],
}
ISSUE = {"subject": ["Winter news", "", "x" * 121], "preheader": ["Longer Saturdays", ""],
         "body": ["We now open at 8 on Saturdays.", "Massage cures sciatica.", " "],
         "include_course": ["", "1"], "action": ["save", "submit"]}
FORMS: dict[str, dict[str, list[str]]] = {
    "admin.save_lesson": LESSON, "admin.preview_form": LESSON, "admin.check_form": LESSON,
    "admin.add_lesson": {"slug": ["sleep-and-sciatica", "causes", "Not A Slug", "a" * 81],
                         "subject": ["Sleeping well", ""]},
    "admin.move_lesson": {"direction": ["up", "down", "sideways"]},
    "admin.retire_lesson": {"restore": ["", "1"]},
    "admin.review_line": {"show": ["0", "1"]},
    "admin.approve_revision": {"seen_hash": ["", "0" * 64]},
    "admin.send_back_revision": {"comment": ["Please use shorter sentences.", " "]},
    "admin.send_test": {"number": ["1", "2", "99", "x"]},
    "admin.patient_delete": {"confirm": ["yes", "no", ""]},
    "admin.staff_new": STAFF, "admin.staff_edit": STAFF,
    "admin.login": {"email": ["someone@clinic.example", "not an address"],
                    "password": ["not the password"]},
    "admin.newsletter_create": ISSUE, "admin.newsletter_save": ISSUE,
    "admin.newsletter_preview_form": ISSUE, "admin.newsletter_check_form": ISSUE,
    "admin.newsletter_schedule": {
        "when": ["now", "clinic_time", "subscriber_hour", "later"], "confirm": ["yes", ""],
        "at": ["2030-01-07T09:00", "2020-01-01T09:00", "soon"],
        "day": ["2030-01-07", "2020-01-01", "x"]},
    "admin.newsletter_stop": {"confirm": ["yes", ""]},
    "admin.newsletter_approve": {"seen_hash": ["", "0" * 64]},
    "admin.newsletter_send_back": {"comment": ["Say it may ease pain.", " "]},
}
SLUGS = ["causes", "techniques", "your-session"]


class Admin:
    """One seeded clinic for the module, a client per role and one logged out ("stranger",
    from another address, so its failed logins throttle nobody else)."""

    def __init__(self, app: Flask) -> None:
        self.app, self.clinic = app, seed_clinic(app)
        # The login the staff forms edit; its name is markup, for the pages that show it.
        victim = make_staff(app, "editor", "victim@clinic.example", display_name=CANARY)
        with app.app_context():
            self.victim_id = db.session.scalar(select(Staff.id).where(Staff.email == victim))
            # And so is the text of an issue the forms leave alone, for the newsletter pages.
            marked = issues.create_issue(db.session(), f"News {CANARY}", CANARY, CANARY,
                                         utcnow(), CANARY)
            db.session.commit()
            self.marked_issue = f"/admin/newsletters/{marked.id}"
        self.rules = sorted((r for r in app.url_map.iter_rules()
                             if r.endpoint.startswith("admin.") and "POST" in (r.methods or ())),
                            key=lambda r: r.rule)
        stranger = app.test_client()
        stranger.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        self.clients: dict[str, FlaskClient] = {"stranger": stranger}
        self.tokens = {"stranger": csrf_token(stranger.get("/admin/login").text)}
        for role in ROLES:
            self.log_in(role)

    def log_in(self, role: str) -> None:
        client = self.app.test_client()
        assert login(client, self.clinic.staff[role]).status_code == 302
        self.clients[role], self.tokens[role] = client, token_of(client, "/admin/reviews")

    def state(self) -> tuple[list[Any], int]:
        """Every row of every table but the bookkeeping ones; how many audit entries."""
        with self.app.app_context():
            session = db.session()
            rows = [(t.name, session.execute(select(t).order_by(*t.primary_key.columns)).all())
                    for t in Base.metadata.sorted_tables if t.name not in BOOKKEEPING]
            audited = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
            session.rollback()
        return rows, audited


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def admin(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Admin]:
    folder = tmp_path_factory.mktemp("hostile-admin")
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_schema")
        _truncate_postgres(url)
    else:
        url = f"sqlite:///{folder / 'admin.sqlite3'}"
    app = make_app(url, folder, PROPAGATE_EXCEPTIONS=False)
    yield Admin(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# Hostile text that gets past the input guard (no lone surrogate or NUL, under the body
# limit), so that it reaches the forms, the operations and the pages that show it again.
STORABLE = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
DEEP = st.one_of(
    st.text(STORABLE, max_size=80), st.sampled_from([h for h in HOSTILE if "\x00" not in h
                                                     and "\ud800" not in h
                                                     and "\udfff" not in h]),
    st.builds(str.__mul__, st.sampled_from(["x", "é", "<x-canary>", "\r\n"]),
              st.sampled_from([300, 2_000])),
    st.builds("{}{}".format, st.text(STORABLE, max_size=40), st.just(CANARY)))


def mostly(values: list[str]) -> st.SearchStrategy[str]:
    """One of the plausible values four times in five, hostile text otherwise."""
    return st.one_of(*[st.sampled_from(values)] * 4, DEEP)


FIELD_NAMES = st.sampled_from(sorted({name for form in FORMS.values() for name in form}
                                     | {"csv_file", "csrf_token", "next"}))


def fields_for(endpoint: str) -> st.SearchStrategy[dict[str, str]]:
    """The endpoint's own fields (mostly plausible, now and then one left out), and a few
    made-up ones."""
    own = st.fixed_dictionaries({
        name: st.one_of(*[mostly(values)] * 9, st.none())
        for name, values in FORMS.get(endpoint, {}).items()}).map(
        lambda form: {name: value for name, value in form.items() if value is not None})
    extra = st.dictionaries(st.one_of(FIELD_NAMES, DEEP.filter(bool)), DEEP, max_size=2)
    return st.builds(lambda a, b: {**b, **a}, own, extra)


@st.composite
def url_of(draw: st.DrawFn, admin: Admin, rule: Rule) -> str:
    """The rule's URL for seeded objects (now and then a made-up lesson name)."""
    clinic = admin.clinic
    known: dict[str, object] = {
        "subscriber_id": draw(st.sampled_from(sorted(clinic.patients.values()))),
        "staff_id": admin.victim_id, "number": draw(st.integers(1, 4)),
        "slug": "SLUG", "name": clinic.outbox_file, "issue_id": clinic.issue_id,
    }
    values: dict[str, object] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            values[name] = draw(st.sampled_from(sorted(converter.items)))  # type: ignore[attr-defined]
        else:
            assert name in known, f"{rule.endpoint} takes {name}: give url_of a seeded value"
            values[name] = known[name]
    with admin.app.test_request_context():
        url = url_for(rule.endpoint, **values)
    slug = draw(st.sampled_from(SLUGS * 3 + ["made up"]))
    if slug == "made up":
        slug = draw(TEXT.filter(bool))
    return url.replace("/SLUG", "/" + quote(slug.encode("utf-8", "surrogatepass"), safe=""))


def errors_waiting(client: FlaskClient) -> int:
    """How many error messages wait in the session for the next page to show."""
    with client.session_transaction() as session:
        return sum(category == "error" for category, _ in session.get("_flashes", []))


# Where the admin shows again what was stored (the audit log shows every change's before
# and after): each must escape the caller's markup.
SHOWN_AGAIN = ["/admin/audit", "/admin/staff", "/admin/reviews", "/admin/newsletters",
               *(f"/admin/lessons/{slug}/history" for slug in SLUGS)]


def shown_escaped(admin: Admin) -> None:
    """Each role opens a page (showing the messages left for it), the owner every page
    that shows stored text again; the caller's markup comes back escaped everywhere."""
    pages = [(role, "/admin/reviews") for role in ROLES] + [
        ("owner", page) for page in (*SHOWN_AGAIN, admin.marked_issue)]
    for role, path in pages:
        try:
            assert_answered(admin.clients[role].get(path))
        except AssertionError as error:
            raise AssertionError(f"{path} as {role}: {error}") from None


def records_whole(app: Flask) -> None:
    """Patients (hostile.stored_whole), lessons and staff are whole after any request."""
    stored_whole(app, imports=True)
    with app.app_context():
        session = db.session()
        for lesson in session.scalars(select(Lesson)):
            assert lesson.revisions, f"{lesson.slug} has no revision"
            if lesson.published_number is not None:
                assert lesson.published is not None and lesson.published.status == "published"
        owners = session.scalar(select(func.count()).select_from(Staff).where(
            Staff.role == StaffRole.OWNER, Staff.active))
        assert owners, "no active owner is left"
        session.rollback()


def attack_as_staff(admin: Admin, rule: Rule, role: str, data: st.DataObject) -> None:
    """One request as a staff member with their own token, and what must then hold."""
    url = data.draw(url_of(admin, rule), label=f"{rule.endpoint}: url")
    fields = data.draw(fields_for(rule.endpoint), label=f"{rule.endpoint}: fields")
    kind = data.draw(st.sampled_from(["urlencoded", "multipart"]), label="body")
    client = admin.clients[role]
    before, errors = admin.state(), errors_waiting(client)
    sent, content_type = body(kind, {**fields, "csrf_token": admin.tokens[role]})
    response = client.post(url, data=sent, content_type=content_type)
    assert_answered(response)
    where = (rule.endpoint, role, response.status_code)
    allowed = rule.endpoint in PUBLIC_ENDPOINTS or \
        role in admin.app.view_functions[rule.endpoint].admin_roles
    failed = response.status_code >= 400 or errors_waiting(client) > errors
    after = admin.state()
    event(f"{rule.endpoint}: {response.status_code}{' failed' if failed else ''}"
          f"{' changed' if after[0] != before[0] else ''}")
    if not allowed:  # (a malformed or oversized body is refused before any view: 400, 413)
        assert response.status_code in (400, 403, 413), where
    if failed or not allowed:
        assert after[0] == before[0], f"a refused or failed request changed something: {where}"
    elif after[0] != before[0]:
        assert after[1] > before[1], f"a change that is not in the audit log: {where}"
    if rule.endpoint == "admin.logout":
        admin.log_in(role)


@FEW
@given(data=st.data())
def test_staff_forms_answer_anything_and_change_only_what_they_record(
    admin: Admin, data: st.DataObject
) -> None:
    first = data.draw(st.integers(0, len(ROLES) - 1), label="first role")
    for number, rule in enumerate(admin.rules):  # every form, the roles taking turns
        attack_as_staff(admin, rule, ROLES[(number + first) % len(ROLES)], data)
    records_whole(admin.app)
    shown_escaped(admin)


TOKENS = ["missing", "made up", "another session's"]


def attack_without_a_token(admin: Admin, rule: Rule, data: st.DataObject) -> None:
    """One request from a stranger, or without the session's own token: nothing changes."""
    who = data.draw(st.sampled_from(["stranger", *ROLES]), label=f"{rule.endpoint}: who")
    token = data.draw(st.sampled_from(TOKENS + (["its own"] if who == "stranger" else [])),
                      label=f"{rule.endpoint}: token")
    url = data.draw(url_of(admin, rule), label=f"{rule.endpoint}: url")
    fields = data.draw(fields_for(rule.endpoint), label=f"{rule.endpoint}: fields")
    kind = data.draw(st.sampled_from(BODY_KINDS), label="body")
    if token == "made up":
        fields["csrf_token"] = data.draw(st.one_of(TEXT, st.text("abcdef0123456789.-_")))
    elif token == "another session's":
        fields["csrf_token"] = admin.tokens[data.draw(st.sampled_from(
            [name for name in admin.tokens if name != who]))]
    elif token == "its own":
        fields["csrf_token"] = admin.tokens[who]
    else:
        fields.pop("csrf_token", None)
    before = admin.state()
    sent, content_type = body(kind, fields)
    response = admin.clients[who].post(url, data=sent, content_type=content_type)
    assert_answered(response)
    where = (rule.endpoint, who, token, response.status_code)
    if token != "its own":
        assert response.status_code in (400, 413), where  # the CSRF check, or too big
    elif rule.endpoint not in PUBLIC_ENDPOINTS:
        assert response.status_code in (302, 400, 413), where
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/admin/login"), where
    assert admin.state()[0] == before[0], f"changed without a login or a token: {where}"


@settings(FEW, max_examples=2)
@given(data=st.data())
def test_without_a_login_or_the_sessions_own_token_nothing_changes(
    admin: Admin, data: st.DataObject
) -> None:
    for rule in admin.rules:
        attack_without_a_token(admin, rule, data)


CELL = st.one_of(TEXT, st.emails().map(str), st.sampled_from(
    ["2026-01-02T09:00:00Z", "2999-01-01T00:00:00Z", "yes", "maybe", "America/Chicago",
     "Mars/Olympus", "7", "25", "active", "pending", "unsubscribed", "=HYPERLINK(1)"]),
    st.builds(str.__mul__, st.just("x"), st.just(140_000)))  # past the csv module's limit
COLUMNS = st.lists(st.one_of(st.sampled_from(
    ["email", "Email", "E-mail", "first_name", "name", "timezone", "send_hour", "newsletter",
     "confirmed_at", "status", "paused"]), TEXT), min_size=1, max_size=5)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A CSV as a spreadsheet or a stranger writes one, or any bytes at all."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=300))
    columns = draw(COLUMNS)
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.lists(st.lists(CELL, min_size=len(columns), max_size=len(columns)),
                         max_size=4))
    lines = [delimiter.join(columns)] + [delimiter.join(row) for row in rows]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


FILENAMES = st.one_of(st.sampled_from(["patients.csv", "../../etc/passwd", f"{CANARY}.csv",
                                       ""]), st.text(st.characters(codec="ascii"), max_size=30))


@settings(FEW, max_examples=12)
@given(content=csv_files(), filename=FILENAMES)
def test_a_csv_of_anything_imports_whole_or_not_at_all(
    admin: Admin, content: bytes, filename: str
) -> None:
    # Encoded here, in memory: the test client's own encoding of a large upload leaves a
    # temporary file open.
    boundary, sent = encode_multipart(MultiDict({
        "csrf_token": admin.tokens["owner"],
        "csv_file": FileStorage(io.BytesIO(content), filename, content_type="text/csv")}))
    before = admin.state()
    response = admin.clients["owner"].post(
        "/admin/subscribers/import", data=sent,
        content_type=f"multipart/form-data; boundary={boundary}")
    assert_answered(response)
    after = admin.state()
    if "Nothing was imported" in response.get_data(as_text=True) or response.status_code > 400:
        assert after[0] == before[0], "a refused file left rows behind"
    elif after[0] != before[0]:
        assert after[1] > before[1], "an import that is not in the audit log"
    records_whole(admin.app)


def test_each_role_still_works_after_the_attack(admin: Admin) -> None:
    for role in ROLES:
        assert admin.clients[role].get("/admin/subscribers").status_code == 200, role
