"""The dev outbox in the admin: each .eml as the subscriber would see it."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from service.delivery.dispatch import run_pass
from service.models import utcnow
from tests.web.conftest import sign_up


def test_a_confirmation_email_can_be_read_in_the_admin(
    admin_app: Flask, editor: FlaskClient
) -> None:
    sign_up(admin_app.test_client(), "newpatient@example.com", "Nell")
    run_pass(admin_app, utcnow())  # the signup only queued it; the worker's pass writes it
    listing = editor.get("/admin/outbox").text
    link = re.search(r'href="(/admin/outbox/[^"]+\.eml)"', listing)
    assert link and "newpatient@example.com" in listing
    page = editor.get(link.group(1)).text
    assert "Text part" in page and "/confirm/" in page
    assert '<iframe class="email" sandbox' in page
    frame = editor.get(link.group(1) + "/html")
    assert frame.status_code == 200 and "<html" in frame.text.lower()
    policy = frame.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy


def test_names_outside_the_outbox_are_refused(admin_app: Flask, editor: FlaskClient) -> None:
    secret = Path(admin_app.config["OUTBOX_DIR"]).parent / "secret.eml"
    secret.write_text("Subject: not for you\n\nsecret")
    for name in ("..%2Fsecret.eml", "secret.txt", "..", "x" * 100 + ".eml"):
        assert editor.get(f"/admin/outbox/{name}").status_code == 404


def test_with_smtp_configured_there_is_no_outbox(admin_app: Flask, editor: FlaskClient) -> None:
    admin_app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    assert "there is no dev outbox" in editor.get("/admin/outbox").text
