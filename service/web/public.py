"""Public pages: the signup form (hosted, embedded, JSON), confirmation, and friendly limits."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from service import tokens
from service.config import signing_keys
from service.extensions import csrf, db
from service.models import utcnow
from service.subscriptions import consent, operations, typos
from service.subscriptions.consent import consent_page
from service.subscriptions.validation import FormErrors, is_ticked, read_signup
from service.web import challenge
from service.web.common import (
    commit_with_retry,
    limited,
    link_from,
    personal_token,
    subscriber_from,
)

bp = Blueprint("public", __name__)

NEWSLETTER_ONLY = "newsletter"  # the signup's `choice`: the newsletter without the course
HONEYPOT = "website"  # a field people never see; bots fill it in
CHECK_INBOX = "Thank you. Please check your inbox and press the button in our email to confirm."


def _form_context(form_name: str, action: str) -> dict[str, Any]:
    return {
        "form_name": form_name,
        "action": action,
        "consent_version": consent.CURRENT,
        "consent_text": consent.consent_text(consent.CURRENT),
        "honeypot": HONEYPOT,
    }


def _read_signup(data: Mapping[str, Any], form_name: str) -> operations.SignupRequest:
    """Validate the fields (FormErrors lists every problem) and describe the signup."""
    email, name, version = read_signup(data, consent.CONSENT_TEXTS.keys(), consent.CURRENT)
    submitted: dict[str, Any] = {
        "email": email, "first_name": name, "form": form_name, "consent": True,
        "consent_version": version, "page": consent_page(request.headers.get("Origin"),
                                                         request.referrer),
    }
    if current_app.config["STORE_SIGNUP_USER_AGENT"]:
        submitted["user_agent"] = request.user_agent.string[:300]
    only = data.get("choice") == NEWSLETTER_ONLY
    if only:
        submitted["choice"] = NEWSLETTER_ONLY
    ip = request.remote_addr if current_app.config["STORE_SIGNUP_IP"] else None
    return operations.SignupRequest(email, name, form_name, version, submitted, ip,
                                    newsletter_only=only)


def _require_challenge(answer: object) -> None:
    """With SIGNUP_CHALLENGE on, a signup must carry a solved proof of work."""
    if challenge.enabled() and not challenge.solved(answer, time.time()):
        raise FormErrors({challenge.FIELD: challenge.UNSOLVED})


def _sign_up(signup: operations.SignupRequest) -> None:
    at = utcnow()
    timezone = current_app.config["CLINIC_TIMEZONE"]
    secret = signing_keys(current_app.config)
    if operations.sign_up_new(db.engine, signup, at, timezone, secret):
        return  # most signups: one statement, committed, and no Session at all
    commit_with_retry(lambda: operations.sign_up(db.session(), signup, at, timezone, secret))


def _typed(form: Mapping[str, str]) -> dict[str, Any]:
    """What the person entered, to show again: the address, the name, the ticked box."""
    email = form.get("email", "")
    if form.get("use_suggestion") == "yes":
        email = typos.suggest(email) or email
    return {"email": email, "first_name": form.get("first_name", ""),
            "consent": is_ticked(form.get("consent")),
            "choice": "newsletter" if form.get("choice") == NEWSLETTER_ONLY else "course"}


def _check_inbox(email: str, values: dict[str, Any], form_name: str, action: str) -> str:
    """The same page whatever the address: it shows what was typed, with a way to fix it."""
    return render_template(
        "check_inbox.html", email=email, values=values, form=_form_context(form_name, action)
    )


def _form_signup(form_name: str, action: str) -> tuple[str, int]:
    values = _typed(request.form)
    data = {**request.form.to_dict(), "email": values["email"]}
    if request.form.get(HONEYPOT):
        return _check_inbox(values["email"].strip().lower(), values, form_name, action), 200
    context = _form_context(form_name, action)
    try:
        signup = _read_signup(data, form_name)
        _require_challenge(request.form.get(challenge.FIELD))
    except FormErrors as error:
        page = render_template(
            "signup.html", values=values, errors=error.errors, suggestion=None, **context
        )
        return page, 400
    # A likely typo for a big provider's domain: ask before sending, keep what they typed.
    suggestion = typos.suggest(signup.email)
    if suggestion and request.form.get("keep_address", "").strip().lower() != signup.email:
        page = render_template(
            "signup.html", values=values, errors={}, suggestion=suggestion, **context
        )
        return page, 200
    _sign_up(signup)
    return _check_inbox(signup.email, values, form_name, action), 200


@bp.get("/")
def signup_page() -> str:
    """The clinic's hosted signup page."""
    context = _form_context("signup-page", url_for("public.subscribe"))
    return render_template("signup.html", values={}, errors={}, suggestion=None, **context)


@bp.route("/subscribe", methods=["POST", "OPTIONS"])
@csrf.exempt  # checked below for forms; JSON relies on CORS and the allowed origins
@limited
def subscribe() -> Any:
    """Signup from our own page (CSRF-protected form) or from an allowed site (JSON)."""
    if request.method == "OPTIONS":
        return _preflight()
    if request.is_json:
        return _json_signup()
    csrf.protect()
    return _form_signup("signup-page", url_for("public.subscribe"))


@bp.post("/subscribe/embed")
@csrf.exempt  # a form on the clinic's own site cannot carry our token; the limits apply
@limited
def subscribe_embedded() -> tuple[str, int]:
    """Signup from the form pasted into the clinic's website."""
    return _form_signup("embedded-form", url_for("public.subscribe_embedded"))


@bp.get("/embed")
def embed() -> str:
    """A page showing the HTML snippet to paste into the clinic's website."""
    base = current_app.config["BASE_URL"]
    snippet = render_template(
        "embed_snippet.html", base_url=base,
        **_form_context("embedded-form", f"{base}/subscribe/embed"),
    )
    return render_template("embed.html", snippet=snippet)


def _own_origin() -> str:
    return request.host_url.rstrip("/")


def _origin_allowed(origin: str | None) -> bool:
    return bool(origin) and origin in current_app.config["ALLOWED_ORIGINS"]


def _preflight() -> tuple[str, int]:
    origin = request.headers.get("Origin")
    return ("", 204) if _origin_allowed(origin) else ("", 403)


@bp.after_request
def _cors(response: Response) -> Response:
    """Only the signup endpoint, only for listed origins; never a wildcard."""
    if request.endpoint != "public.subscribe":
        return response
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if _origin_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = str(origin)
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _json_signup() -> tuple[dict[str, Any], int]:
    origin = request.headers.get("Origin")
    if origin and origin != _own_origin() and not _origin_allowed(origin):
        return {"error": "origin not allowed", "message": "This site may not sign people up."}, 403
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return {"error": "invalid", "message": "Send a JSON object with email and consent."}, 400
    if data.get(HONEYPOT):
        return {"status": "ok", "message": CHECK_INBOX}, 200
    try:
        signup = _read_signup(data, "json")
        _require_challenge(data.get(challenge.FIELD))
    except FormErrors as error:
        return {"error": "invalid", "message": error.message, "errors": error.errors}, 400
    _sign_up(signup)
    return {"status": "ok", "message": CHECK_INBOX}, 200


@bp.get("/confirm/<token>")
def confirm_page(token: str) -> str:
    """One button: a GET never confirms (mail scanners open every link)."""
    subscriber = subscriber_from(token, tokens.CONFIRM)
    return render_template("confirm.html", token=token, subscriber=subscriber)


@bp.post("/confirm/<token>")
@csrf.exempt  # the signed token in the URL is the protection
def confirm(token: str) -> str:
    """Confirm the address, start the course, and say truly what comes next."""
    subscriber, link = link_from(token, tokens.CONFIRM)
    start = operations.confirm(db.session(), subscriber, utcnow(), link)
    db.session.commit()
    if start is None:  # a replayed link: it confirms, it does not hand out another link
        return render_template("confirmed.html", preferences_token=None, start="already")
    prefs = personal_token(subscriber, tokens.PREFERENCES)
    return render_template("confirmed.html", preferences_token=prefs, start=start.value)


def _limit_page(error: HTTPException) -> tuple[Any, int]:
    status = error.code or 400
    if status == 429:
        title = "Please wait a little"
        message = "We had many requests from here in a short time. Please try again later."
    else:
        title = "That was too much"
        message = "What you sent is far larger than this form needs. Please go back and retry."
    db.session.rollback()
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return {"error": title, "message": message}, status
    return render_template("error.html", title=title, message=message), status


# App-wide, so every page (not only this blueprint's) answers these two kindly.
bp.app_errorhandler(429)(_limit_page)
bp.app_errorhandler(413)(_limit_page)
