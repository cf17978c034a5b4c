"""Owners manage staff in the admin; every change lands in the audit log, readable by owners."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from service.models import StaffRole
from tests.web.admin.conftest import PASSWORD, login, make_staff, staff_row, token_of


def form(client: FlaskClient, path: str, **fields: object) -> dict[str, object]:
    data: dict[str, object] = {"csrf_token": token_of(client, path), "role": "editor",
                               "display_name": "", "credentials": "", "active": "y",
                               "sign_reviews": "y"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_an_owner_adds_a_reviewer_who_can_then_log_in(
    admin_app: Flask, owner: FlaskClient
) -> None:
    response = owner.post("/admin/staff/new", data=form(
        owner, "/admin/staff/new", email="Dr.Ng@Clinic.example", role="reviewer",
        display_name="Dr Ng", is_clinician="y", credentials="DPT", password=PASSWORD,
    ))
    assert response.status_code == 302
    assert "dr.ng@clinic.example can now log in as reviewer" in owner.get("/admin/staff").text
    person = staff_row(admin_app, "dr.ng@clinic.example")
    assert person.role == "reviewer" and person.is_clinician and person.signature == "Dr Ng, DPT"
    assert login(admin_app.test_client(), "dr.ng@clinic.example").status_code == 302


def test_bad_input_is_explained_and_changes_nothing(admin_app: Flask, owner: FlaskClient) -> None:
    short = owner.post("/admin/staff/new", data=form(
        owner, "/admin/staff/new", email="x@clinic.example", password="short"))
    assert short.status_code == 400 and "at least 12" in short.text
    taken = make_staff(admin_app, StaffRole.EDITOR)
    again = owner.post("/admin/staff/new", data=form(
        owner, "/admin/staff/new", email=taken, password=PASSWORD))
    assert again.status_code == 400 and "already has a staff login" in again.text


def test_disabling_someone_ends_their_session(admin_app: Flask, owner: FlaskClient) -> None:
    email = make_staff(admin_app, StaffRole.EDITOR)
    them = admin_app.test_client()
    login(them, email)
    person = staff_row(admin_app, email)
    path = f"/admin/staff/{person.id}"
    owner.post(path, data=form(owner, path, email=email, active=None))
    assert not staff_row(admin_app, email).active
    assert them.get("/admin/").status_code == 302


def test_the_last_owner_cannot_demote_themself(admin_app: Flask) -> None:
    email = make_staff(admin_app, StaffRole.OWNER)
    client = admin_app.test_client()
    login(client, email)
    path = f"/admin/staff/{staff_row(admin_app, email).id}"
    response = client.post(path, data=form(client, path, email=email, role="editor"))
    assert response.status_code == 400 and "last active owner" in response.text
    assert staff_row(admin_app, email).role == "owner"


def test_password_change_logs_out_other_sessions(admin_app: Flask, owner: FlaskClient) -> None:
    email = make_staff(admin_app, StaffRole.EDITOR)
    them = admin_app.test_client()
    login(them, email)
    path = f"/admin/staff/{staff_row(admin_app, email).id}"
    owner.post(path, data=form(owner, path, email=email, password="a brand new passphrase"))
    assert them.get("/admin/").status_code == 302
    assert login(admin_app.test_client(), email, "a brand new passphrase").status_code == 302


def test_the_audit_log_shows_who_did_what(admin_app: Flask, owner: FlaskClient) -> None:
    owner.post("/admin/staff/new", data=form(
        owner, "/admin/staff/new", email="new@clinic.example", password=PASSWORD))
    page = owner.get("/admin/audit").text
    assert "staff.create" in page and "staff.login" in page
    assert "new@clinic.example" in page  # the after-state of the account
    assert "password_hash" not in page and "scrypt" not in page
    assert "staff.login" not in owner.get("/admin/audit?action=staff.create").text


def test_only_owners_read_the_audit_log(editor: FlaskClient, reviewer: FlaskClient) -> None:
    assert editor.get("/admin/audit").status_code == 403
    assert reviewer.get("/admin/audit").status_code == 403
    assert editor.get("/admin/staff").status_code == 403
