"""Logging in and out of the admin: the form, the cookie, throttling, idle expiry."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.extensions import db
from service.models import Lesson, LessonRevision, StaffRole
from tests.web.admin.conftest import PASSWORD, login, make_staff, token_of
from tests.web.conftest import csrf_token


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


def test_a_session_cookie_copied_before_logout_no_longer_works(admin_app: Flask) -> None:
    email = make_staff(admin_app, StaffRole.EDITOR)
    client, elsewhere = admin_app.test_client(), admin_app.test_client()
    login(client, email)
    login(elsewhere, email)  # the same person on another device
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.post("/admin/logout", data={"csrf_token": token_of(client)})
    thief = admin_app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/admin/").status_code == 302
    assert elsewhere.get("/admin/").status_code == 302  # logging out ends every session


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


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(admin_app: Flask) -> None:
    email = make_staff(admin_app, StaffRole.EDITOR)
    client = admin_app.test_client()
    for _ in range(5):
        assert "do not match" in login(client, email, "wrong guess").text
    refused = login(client, email)
    assert refused.status_code == 429 and "Too many failed tries" in refused.text
    assert client.get("/admin/").status_code == 302
    # Another account from another address is not affected.
    other = make_staff(admin_app, StaffRole.EDITOR)
    fresh = admin_app.test_client()
    assert login(fresh, other, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302


def test_one_ip_guessing_many_accounts_is_stopped(admin_app: Flask) -> None:
    admin_app.config["ADMIN_LOGIN_MAX_PER_IP"] = 3
    victim = make_staff(admin_app, StaffRole.OWNER)
    client = admin_app.test_client()
    for n in range(3):
        login(client, f"nobody{n}@clinic.example", "guess")
    assert login(client, victim).status_code == 429


def test_failures_older_than_the_window_are_forgotten(admin_app: Flask) -> None:
    from datetime import timedelta

    from service.extensions import db
    from service.models import LoginFailure, utcnow

    email = make_staff(admin_app, StaffRole.EDITOR)
    with admin_app.app_context():
        old = utcnow() - timedelta(minutes=16)
        db.session.add_all(
            LoginFailure(email=email, ip_address="127.0.0.1", at=old) for _ in range(5)
        )
        db.session.commit()
    assert login(admin_app.test_client(), email).status_code == 302


def test_an_idle_session_ends(admin_app: Flask) -> None:
    from service.models import utcnow
    from service.web.admin.access import SEEN_KEY

    client = admin_app.test_client()
    login(client, make_staff(admin_app, StaffRole.EDITOR))
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        session[SEEN_KEY] = int(utcnow().timestamp()) - 29 * 60
    assert client.get("/admin/").status_code == 200  # 29 minutes: still fine, and renewed
    with client.session_transaction() as session:
        session[SEEN_KEY] = int(utcnow().timestamp()) - 31 * 60
    response = client.get("/admin/subscribers")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")
    assert "after a while without activity" in client.get(response.headers["Location"]).text
    assert client.get("/admin/").status_code == 302  # logged out for good, not just once


def test_text_saved_as_the_session_ended_is_given_back_on_the_login_page(
    admin_app: Flask,
) -> None:
    from service.models import utcnow
    from service.web.admin.access import SEEN_KEY

    client = admin_app.test_client()
    login(client, make_staff(admin_app, StaffRole.EDITOR))
    page = client.get("/admin/lessons/techniques")
    token = csrf_token(page.text)
    with client.session_transaction() as session:
        session[SEEN_KEY] = int(utcnow().timestamp()) - 31 * 60
    text = "An hour of careful words <b>not</b> to lose."
    response = client.post("/admin/lessons/techniques", data={
        "csrf_token": token, "subject": "Techniques", "preheader": "", "body": text,
        "sources": "", "action": "save"})
    assert response.status_code == 401
    assert "Your unsaved text" in response.text
    assert "after a while without activity" in response.text
    assert "An hour of careful words &lt;b&gt;not&lt;/b&gt; to lose." in response.text
    assert 'action="/admin/login?next=/admin/lessons/techniques"' in response.text
    assert client.get("/admin/").status_code == 302  # still logged out
    with admin_app.app_context():
        bodies = db.session.scalars(select(LessonRevision.body).join(Lesson).where(
            Lesson.slug == "techniques")).all()
        assert bodies and all(text not in body for body in bodies)  # nothing was stored


def test_idle_limit_is_configurable(admin_app: Flask) -> None:
    from service.models import utcnow
    from service.web.admin.access import SEEN_KEY

    admin_app.config["ADMIN_IDLE_MINUTES"] = 5
    client = admin_app.test_client()
    login(client, make_staff(admin_app, StaffRole.EDITOR))
    with client.session_transaction() as session:
        session[SEEN_KEY] = int(utcnow().timestamp()) - 6 * 60
    assert client.get("/admin/").status_code == 302


def test_secure_cookie_when_base_url_is_https(tmp_path: object, database: str) -> None:
    from pathlib import Path

    from tests.conftest import make_app

    app = make_app(database, Path(str(tmp_path)), BASE_URL="https://clinic.example")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_a_role_without_access_gets_403_as_json_too(editor: FlaskClient) -> None:
    response = editor.get("/admin/audit", headers={"Accept": "application/json"})
    assert response.status_code == 403 and response.is_json


def test_admin_pages_are_private_and_unframeable(editor: FlaskClient) -> None:
    response = editor.get("/admin/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
