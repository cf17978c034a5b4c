"""Browser-security headers: CSP without inline scripts, framing only where the clinic
embeds the form, nosniff, Referrer-Policy, HSTS on https, and the session cookie's flags."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from service.web.security_headers import HONEYPOT_STYLE
from tests.conftest import make_app

TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "templates"
CLINIC = "https://www.calmhands.example"


def _app(tmp_path: Path, **overrides: object) -> Flask:
    return make_app(f"sqlite:///{tmp_path / 't.sqlite3'}", tmp_path,
                    ALLOWED_ORIGINS=[CLINIC], **overrides)


def test_every_page_has_a_strict_policy_and_is_not_frameable(tmp_path: Path) -> None:
    client = _app(tmp_path).test_client()
    for path in ("/embed", "/healthz", "/preferences/nonsense", "/course/images/none.png"):
        answer = client.get(path)
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy, path
        assert answer.headers["X-Frame-Options"] == "DENY", path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
        assert answer.headers["Referrer-Policy"], path
        assert "Strict-Transport-Security" not in answer.headers  # http: no HSTS


def test_the_signup_form_is_frameable_only_by_the_allowed_origins(tmp_path: Path) -> None:
    client = _app(tmp_path).test_client()
    answer = client.get("/")
    assert f"frame-ancestors 'self' {CLINIC}" in answer.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in answer.headers
    embedded = client.post("/subscribe/embed", data={"email": "ann@example.com"})
    assert f"frame-ancestors 'self' {CLINIC}" in embedded.headers["Content-Security-Policy"]


def test_on_https_hsts_and_a_secure_lax_session_cookie(tmp_path: Path) -> None:
    client = _app(tmp_path, BASE_URL="https://learn.calmhands.example").test_client()
    answer = client.get("/", base_url="https://learn.calmhands.example")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_template_has_an_inline_script_or_a_style_the_policy_refuses() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = re.sub(r"{%.*?%}", "", template.read_text(), flags=re.S)  # markup only
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert "<style" not in text and " on" + "click=" not in text, template
        for style in re.findall(r'style="([^"]*)"', text):
            assert style == HONEYPOT_STYLE, (template, style)
