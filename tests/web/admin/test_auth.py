"""Logging in and out of the admin: the form, the cookie, throttling, idle expiry."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from service.models import StaffRole
from tests.web.admin.conftest import PASSWORD, login, make_staff, token_of


def test_login_then_dashboard_then_logout(admin_app: Flask) -> None:
    email = make_staff(admin_app, StaffRole.EDITOR, display_name="Rita Reception")
    client = admin_app.test_client()
    assert client.get("/admin/").headers["Location"].startswith("/admin/login")
    response = login(client, email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200 and "Rita Reception" in page.text
    client.post("/admin/logout", data={"csrf_token": token_of(client)})
    assert client.get("/admin/").status_code == 302


def test_wrong_password_says_so_and_does_not_log_in(admin_app: Flask) -> None:
    email = make_staff(admin_app, StaffRole.EDITOR)
    client = admin_app.test_client()
    response = login(client, email, "not the password")
    assert "do not match" in response.text
    assert client.get("/admin/").status_code == 302


def test_session_cookie_is_httponly_and_lax(admin_app: Flask) -> None:
    client = admin_app.test_client()
    response = login(client, make_staff(admin_app, StaffRole.OWNER))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # BASE_URL is http in tests


def test_json_callers_get_401(admin_app: Flask) -> None:
    response = admin_app.test_client().get("/admin/", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json == {"error": "login required", "message": "Log in to the admin first."}


def test_login_page_keeps_next_but_refuses_other_sites(admin_app: Flask) -> None:
    email = make_staff(admin_app, StaffRole.EDITOR)
    client = admin_app.test_client()
    page = client.get("/admin/login?next=//evil.example/")
    from tests.web.conftest import csrf_token

    response = client.post(
        "/admin/login?next=//evil.example/",
        data={"csrf_token": csrf_token(page.text), "email": email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/admin/"


def test_editor_fixture_is_logged_in(editor: FlaskClient) -> None:
    assert editor.get("/admin/").status_code == 200
