"""Every /admin route, read from app.url_map, walked unauthenticated and as each role.

New routes are covered without touching this file: a view must carry `role_required`
(its `admin_roles`), strangers are sent to the login page (401 for JSON), a role not listed
gets 403 and changes nothing, and a role listed never gets 401, 403 or a server error.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from service.extensions import db
from service.models import StaffRole, utcnow
from service.web.admin.access import PUBLIC_ENDPOINTS
from tests.delivery.factories import add_subscriber
from tests.web.admin.conftest import login, make_staff, token_of
from tests.web.conftest import csrf_token


def admin_rules(app: Flask) -> list[Rule]:
    """Admin rules, with deleting ones last so the others still find their objects."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    return sorted(rules, key=lambda r: ("delete" in r.rule or "retire" in r.rule, r.rule))


def sample_values(app: Flask, rule: Rule) -> dict[str, object]:
    """Real objects for the rule's arguments where we have them, plausible values otherwise."""
    with app.app_context():
        from sqlalchemy import select

        from service.models import Lesson, Staff, Subscriber

        known: dict[str, object] = {
            "subscriber_id": db.session.scalar(select(Subscriber.id).limit(1)) or 1,
            "staff_id": db.session.scalar(select(Staff.id).limit(1)) or 1,
            "slug": db.session.scalar(select(Lesson.slug).order_by(Lesson.position)) or "x",
            "name": "20260101T000000.000000Z-000000000000.eml",
        }
    values: dict[str, object] = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if name in known:
            values[name] = known[name]
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0] if hasattr(converter, "items") else "x"
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        else:
            values[name] = "x"
    return values


def url_for_rule(app: Flask, rule: Rule) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **sample_values(app, rule))


@pytest.fixture
def walk_app(admin_app: Flask) -> Flask:
    with admin_app.app_context():
        add_subscriber(db.session, "walk@example.com", utcnow() - timedelta(days=1))
        db.session.commit()
    return admin_app


def test_every_admin_view_declares_its_roles(walk_app: Flask) -> None:
    rules = admin_rules(walk_app)
    assert len(rules) >= 10
    undeclared = [
        r.endpoint for r in rules
        if r.endpoint not in PUBLIC_ENDPOINTS
        and not hasattr(walk_app.view_functions[r.endpoint], "admin_roles")
    ]
    assert undeclared == []


def test_strangers_are_sent_to_login_everywhere(walk_app: Flask) -> None:
    client = walk_app.test_client()
    token = csrf_token(client.get("/admin/login").text)
    for rule in admin_rules(walk_app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = url_for_rule(walk_app, rule)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/admin/login"), (method, url)
            as_json = client.open(url, method=method, data=data,
                                  headers={"Accept": "application/json"})
            assert as_json.status_code == 401, (method, url)


@pytest.mark.parametrize("role", [r.value for r in StaffRole])
def test_each_role_gets_exactly_what_it_may(walk_app: Flask, role: str) -> None:
    client: FlaskClient = walk_app.test_client()
    # Everyone a clinician: only the role decides here (signing off also needs the flag).
    email = make_staff(walk_app, role, is_clinician=True, credentials="RMT")
    assert login(client, email).status_code == 302
    token = token_of(client)
    for rule in admin_rules(walk_app):
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint == "admin.logout":
            continue
        allowed = walk_app.view_functions[rule.endpoint].admin_roles
        url = url_for_rule(walk_app, rule)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            response.close()  # a file download holds its file open until then
            where = (role, method, url, response.status_code)
            if role in allowed:
                assert response.status_code not in (401, 403), where
                assert response.status_code < 500, where
            else:
                assert response.status_code == 403, where


def test_numbers_too_big_for_the_database_never_cause_a_server_error(walk_app: Flask) -> None:
    client = walk_app.test_client()
    email = make_staff(walk_app, "owner", is_clinician=True, credentials="RMT")
    assert login(client, email).status_code == 302
    token = token_of(client)
    for rule in admin_rules(walk_app):
        ints = [n for n in rule.arguments if isinstance(rule._converters[n], IntegerConverter)]
        if not ints:
            continue
        values = {**sample_values(walk_app, rule), **{n: 10**30 for n in ints}}
        with walk_app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            response.close()
            assert response.status_code < 500, (method, url, response.status_code)
