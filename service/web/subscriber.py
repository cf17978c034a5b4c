"""A subscriber's own pages, reached by signed links: preferences, data, delete.

The unsubscribe pages share this blueprint and live in service/web/unsubscribe.py.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from service import tokens
from service.course.schedule import week_from
from service.extensions import db
from service.models import Subscriber, SubscriberStatus, utcnow
from service.subscriptions import consent, operations, preferences
from service.subscriptions.progress import course_progress, describe
from service.subscriptions.timezones import day, hour_labels, zone_choices
from service.subscriptions.validation import FieldError, parse_preferences
from service.web.common import personal_token, subscriber_from

bp = Blueprint("subscriber", __name__)



@bp.after_request
def _private(response: Response) -> Response:
    # These pages hold a personal link: keep them out of caches and out of Referer headers
    # sent to other sites. Same-origin posts keep their Referer: over HTTPS, Flask-WTF's CSRF
    # check refuses a form post without one.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def preferences_token(subscriber: Subscriber) -> str:
    """A fresh preferences link token (also for the page after unsubscribing)."""
    return personal_token(subscriber, tokens.PREFERENCES)



def _zones() -> Any:
    config = current_app.config
    return zone_choices(config["CLINIC_TIMEZONE"], config["CLINIC_LOCALE"])


def _preferences_page(
    token: str, subscriber: Subscriber, values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None, notice: str | None = None,
) -> str:
    current = {
        "first_name": subscriber.first_name, "timezone": subscriber.timezone,
        "send_hour": str(subscriber.send_hour),
        "course_enabled": subscriber.course_enabled,
        "newsletter_enabled": subscriber.newsletter_enabled,
        "weekdays_only": subscriber.weekdays_only,
    }
    now, locale = utcnow(), current_app.config["CLINIC_LOCALE"]
    progress = course_progress(db.session(), subscriber, now)
    return render_template(
        "preferences.html", token=token, subscriber=subscriber, values=values or current,
        errors=errors or {}, notice=notice, zones=_zones(), hours=hour_labels(locale),
        progress=describe(progress, subscriber.timezone, locale, now),
        paused_until=progress.paused_until and day(progress.paused_until, subscriber.timezone,
                                                   locale),
        consent_text=consent.consent_text(consent.CURRENT),
        unsubscribe_token=personal_token(subscriber, tokens.UNSUBSCRIBE),
    )


NOTICES = {
    "saved": "Your preferences are saved.",
    "restarted": "The course starts again from lesson 1.",
    "paused": "Your emails are paused.",
    "resumed": "Your emails are back on.",
}


@bp.get("/preferences/<token>")
def preferences_page(token: str) -> str:
    """The preferences form."""
    subscriber = subscriber_from(token, tokens.PREFERENCES)
    return _preferences_page(token, subscriber, notice=NOTICES.get(request.args.get("done", "")))


@bp.post("/preferences/<token>")
def save_preferences(token: str) -> Any:
    """Save, then show the page again (303, so a reload does not post twice)."""
    subscriber = subscriber_from(token, tokens.PREFERENCES)
    try:
        chosen = parse_preferences(request.form, _zones().valid | {subscriber.timezone})
    except FieldError as error:
        values: dict[str, Any] = {key: request.form.get(key, "") for key in (
            "first_name", "timezone", "send_hour")}
        for box in ("course_enabled", "newsletter_enabled", "weekdays_only"):
            values[box] = box in request.form
        page = _preferences_page(token, subscriber, values, {error.field: error.message})
        return page, 400
    preferences.update_preferences(db.session(), subscriber, chosen, utcnow())
    db.session.commit()
    return redirect(url_for(".preferences_page", token=token, done="saved"), 303)


@bp.post("/preferences/<token>/pause")
def pause(token: str) -> BaseResponse:
    """Pause for a week (it ends by itself) or until they press Resume."""
    subscriber = subscriber_from(token, tokens.PREFERENCES)
    now = utcnow()
    until = week_from(now, subscriber.timezone) if request.form.get("for") == "week" else None
    preferences.pause(db.session(), subscriber, until, now)
    db.session.commit()
    return redirect(url_for(".preferences_page", token=token, done="paused"), 303)


@bp.post("/preferences/<token>/resume")
def resume(token: str) -> BaseResponse:
    """End the pause now."""
    subscriber = subscriber_from(token, tokens.PREFERENCES)
    preferences.resume(db.session(), subscriber, utcnow())
    db.session.commit()
    return redirect(url_for(".preferences_page", token=token, done="resumed"), 303)


@bp.post("/preferences/<token>/restart")
def restart(token: str) -> BaseResponse:
    """Start the course again from lesson 1."""
    subscriber = subscriber_from(token, tokens.PREFERENCES)
    preferences.restart_course(db.session(), subscriber, utcnow())
    db.session.commit()
    return redirect(url_for(".preferences_page", token=token, done="restarted"), 303)


@bp.get("/preferences/<token>/data.json")
def download_data(token: str) -> Response:
    """Everything we hold about this subscriber, as a JSON file."""
    subscriber = subscriber_from(token, tokens.PREFERENCES)
    body = json.dumps(preferences.export_data(db.session(), subscriber), indent=2)
    response = Response(body + "\n", mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@bp.post("/preferences/<token>/log-out")
def log_out_everywhere(token: str) -> str:
    """Switch off every link we ever sent (and this one); a fresh link comes by email."""
    subscriber = subscriber_from(token, tokens.PREFERENCES)
    preferences.revoke_links(db.session(), subscriber)
    operations.send_fresh_links(db.session(), subscriber.email, utcnow())
    db.session.commit()
    mailed = subscriber.status in (SubscriberStatus.ACTIVE, SubscriberStatus.PENDING)
    return render_template("logged_out.html", email=subscriber.email, mailed=mailed)


@bp.get("/preferences/<token>/delete")
def delete_page(token: str) -> str:
    """Ask once more before deleting everything."""
    subscriber_from(token, tokens.PREFERENCES)
    return render_template("delete.html", token=token)


@bp.post("/preferences/<token>/delete")
def delete(token: str) -> str:
    """Delete the subscriber and everything about them; keep only a count."""
    subscriber = subscriber_from(token, tokens.PREFERENCES)
    preferences.erase(db.session(), subscriber, utcnow())
    db.session.commit()
    return render_template("deleted.html")
