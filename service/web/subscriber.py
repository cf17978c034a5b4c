"""A subscriber's own pages, reached by signed links: unsubscribe, preferences, data, delete."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from service import tokens
from service.config import signing_keys
from service.course.schedule import held_until, week_from
from service.errors import InvalidToken
from service.extensions import csrf, db
from service.models import Subscriber, SubscriberStatus, utcnow
from service.subscriptions import consent, operations, preferences
from service.subscriptions.preferences import Scope
from service.subscriptions.progress import course_progress, describe
from service.subscriptions.timezones import day, hour_labels, zone_choices
from service.subscriptions.validation import FieldError, parse_preferences, require_consent
from service.web.common import personal_token, subscriber_from

bp = Blueprint("subscriber", __name__)

ONE_CLICK = "One-Click"  # RFC 8058: the body is List-Unsubscribe=One-Click


@bp.after_request
def _private(response: Response) -> Response:
    # These pages hold a personal link: keep them out of caches and out of Referer headers
    # sent to other sites. Same-origin posts keep their Referer: over HTTPS, Flask-WTF's CSRF
    # check refuses a form post without one.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _preferences_token(subscriber: Subscriber) -> str:
    return personal_token(subscriber, tokens.PREFERENCES)


def _unsubscribe_link(
    token: str, list_name: str, *, any_age: bool
) -> tuple[Subscriber | None, bool]:
    """The subscriber an unsubscribe link names (None if erased), and whether it is current.

    A revoked link (older epoch) still stops mail, as the law and RFC 8058 want of every
    unsubscribe link ever mailed; it opens nothing else (no preferences link on the page after).
    """
    keys = signing_keys(current_app.config)
    link = tokens.read_link(keys, PURPOSES[list_name], token, any_age=any_age)
    subscriber = operations.find_by_public_id_or_none(db.session(), link.public_id)
    return subscriber, subscriber is not None and link.epoch == subscriber.link_epoch


def _state(subscriber: Subscriber) -> dict[str, Any]:
    """What we now send to this subscriber, in words, for the page after a choice."""
    until = held_until(subscriber.paused_until, utcnow())
    locale = current_app.config["CLINIC_LOCALE"]
    until_text = day(until, subscriber.timezone, locale) if until is not None else None
    if not subscriber.is_active or not subscriber.course_enabled:
        course = "off"
    elif subscriber.paused:
        course = "paused until you resume"
    elif until_text is not None:
        course = f"paused until {until_text}"
    else:
        course = "on"
    stopped = subscriber.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.SUPPRESSED)
    newsletter = "on" if subscriber.newsletter_enabled and not stopped else "off"
    return {"course": course, "newsletter": newsletter, "stopped": stopped, "until": until_text}


def _left_page(
    subscriber: Subscriber, scope: str, error: str | None = None, token: str | None = None,
    current: bool = True,
) -> tuple[str, int]:
    page = render_template(
        "unsubscribed.html", scope=scope, subscriber=subscriber, consent_error=error,
        preferences_token=_preferences_token(subscriber) if current else None,
        state=_state(subscriber),
        consent_text=consent.consent_text(consent.CURRENT), token=token,
    )
    return page, 400 if error else 200


# Which list each unsubscribe link is for: the token's purpose says it (signed, so a
# course link cannot be turned into a newsletter one).
PURPOSES = {"course": tokens.UNSUBSCRIBE, "newsletter": tokens.UNSUBSCRIBE_NEWSLETTER}


def _choices_page(token: str, list_name: str) -> str | tuple[str, int]:
    subscriber, current = _unsubscribe_link(token, list_name, any_age=False)
    if subscriber is None:
        raise InvalidToken("This link no longer works: we hold no data for it.")
    if subscriber.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.SUPPRESSED):
        return _left_page(subscriber, Scope.ALL, current=current)
    can_pause = subscriber.is_active and subscriber.course_enabled and not subscriber.paused
    return render_template("unsubscribe.html", token=token, subscriber=subscriber,
                           can_pause=can_pause, list_name=list_name)


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str) -> str | tuple[str, int]:
    """The choices and their buttons; a GET never unsubscribes (link scanners open everything)."""
    return _choices_page(token, "course")


@bp.get("/unsubscribe/newsletter/<token>")
def newsletter_unsubscribe_page(token: str) -> str | tuple[str, int]:
    """A newsletter's footer link: stop the newsletter, or everything (and the course's own)."""
    return _choices_page(token, "newsletter")


CHOICES = {"all": Scope.ALL, "course": Scope.COURSE, "newsletter": Scope.NEWSLETTER,
           "pause": "pause"}


def _one_click_scope(subscriber: Subscriber, list_name: str) -> Scope:
    """A list's one-click stops that list; with nothing else left on, it stops everything."""
    if list_name == "newsletter":
        return Scope.NEWSLETTER if subscriber.course_enabled else Scope.ALL
    return Scope.COURSE if subscriber.newsletter_enabled else Scope.ALL


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058: no cookie, no CSRF token; the signed token in the URL protects it
def unsubscribe(token: str) -> tuple[str, int]:
    """Our page's buttons, or a mailbox provider's one-click POST: 200, never a redirect."""
    return _unsubscribe(token, "course")


@bp.post("/unsubscribe/newsletter/<token>")
@csrf.exempt  # RFC 8058, as above
def newsletter_unsubscribe(token: str) -> tuple[str, int]:
    """A newsletter's one-click POST (stops the newsletter only) or its page's buttons."""
    return _unsubscribe(token, "newsletter")


def _unsubscribe(token: str, list_name: str) -> tuple[str, int]:
    """A genuine link of any age works: an unsubscribe must never fail because the mail is old."""
    subscriber, current = _unsubscribe_link(token, list_name, any_age=True)
    if subscriber is None:  # erased already: nobody left to write to, which is what was asked
        return render_template("deleted.html"), 200
    now = utcnow()
    if request.form.get("List-Unsubscribe") == ONE_CLICK:
        scope = _one_click_scope(subscriber, list_name)
        preferences.unsubscribe(db.session(), subscriber, scope, now)
        db.session().commit()
        # The POST came from a mailbox provider: answer without handing it any personal link.
        return render_template("one_click_done.html", scope=str(scope)), 200
    choice = CHOICES.get(request.form.get("scope", "all"), Scope.ALL)
    if choice == "pause":
        if subscriber.is_active:
            preferences.pause(db.session(), subscriber, week_from(now, subscriber.timezone), now)
    else:
        preferences.unsubscribe(db.session(), subscriber, Scope(choice), now)
    db.session.commit()
    # The page after offers the course link's choices; a revoked link gets no fresh one.
    course_token = token if list_name == "course" else (
        personal_token(subscriber, tokens.UNSUBSCRIBE) if current else None)
    return _left_page(subscriber, str(choice), token=course_token, current=current)


@bp.post("/preferences/<token>/subscribe-again")
def subscribe_again(token: str) -> tuple[str, int]:
    """The way back after leaving: the consent box again, then a new confirmation email."""
    subscriber = subscriber_from(token, tokens.PREFERENCES)
    try:
        require_consent(request.form.get("consent"))
    except FieldError as error:
        return _left_page(subscriber, Scope.ALL, error.message)
    version = consent.CURRENT
    signup = operations.SignupRequest(
        email=subscriber.email, first_name=subscriber.first_name, form="resubscribe",
        text_version=version,
        submitted={"email": subscriber.email, "form": "resubscribe", "consent": True,
                   "consent_version": version},
        ip_address=request.remote_addr if current_app.config["STORE_SIGNUP_IP"] else None,
    )
    operations.subscribe_again(db.session(), subscriber, signup, utcnow())
    db.session.commit()
    return render_template("check_inbox.html", email=subscriber.email, form=None), 200


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
