"""Browser-security headers on every response, from one small after_request.

Our own rather than Flask-Talisman: the rules are few and per endpoint (only the signup
form may be framed, and only by ALLOWED_ORIGINS), and Talisman would force its own HTTPS
redirect and cookie settings on a service that usually sits behind a TLS-ending proxy.
"""

from __future__ import annotations

import base64
import hashlib

from flask import Flask, Response, request

# The embed snippet hides its honeypot with this inline style (the clinic's site has none
# of our CSS); the embed page's live preview shows the snippet, so CSP allows exactly it.
HONEYPOT_STYLE = "position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden"
_STYLE_HASH = base64.b64encode(hashlib.sha256(HONEYPOT_STYLE.encode()).digest()).decode()

# Pages the clinic's own site may show in a frame: the hosted form and the embedded
# form's answer page (what a framed snippet shows after it is sent).
FRAMEABLE = frozenset({"public.signup_page", "public.subscribe_embedded"})
HSTS = "max-age=31536000; includeSubDomains"


def _policy(frame_ancestors: str) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' 'unsafe-hashes' 'sha256-{_STYLE_HASH}'",
        "img-src 'self' data: https:",  # CLINIC_LOGO_URL may be on the clinic's own site
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def init_app(app: Flask) -> None:
    """Add the headers; set the session cookie's flags from BASE_URL."""
    https = str(app.config["BASE_URL"]).startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config["SESSION_COOKIE_SECURE"]) or https
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    origins = " ".join(app.config["ALLOWED_ORIGINS"])
    # Both policies are fixed once the app is configured: made once, not per response.
    # X-Frame-Options cannot name several origins: for FRAMEABLE, frame-ancestors decides.
    frameable = _policy(f"'self' {origins}".strip())
    unframeable = _policy("'none'")

    @app.after_request
    def _headers(response: Response) -> Response:
        if "Content-Security-Policy" in response.headers:
            pass  # a page with a policy of its own (the admin, its sandboxed email preview)
        elif request.endpoint in FRAMEABLE:
            response.headers["Content-Security-Policy"] = frameable
        else:
            response.headers["Content-Security-Policy"] = unframeable
            response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if https:
            response.headers["Strict-Transport-Security"] = HSTS
        return response
