"""The unsubscribe pages and the way back after leaving, reached by signed links.

One blueprint with the preferences pages (service/web/subscriber.py): the same private
headers, the same endpoint names. RFC 8058 one-click POSTs land here.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request

from service import tokens
from service.config import signing_keys
from service.course.schedule import held_until, week_from
from service.errors import InvalidToken
from service.extensions import csrf, db
from service.models import Subscriber, SubscriberStatus, utcnow
from service.subscriptions import consent, operations, preferences
from service.subscriptions.preferences import Scope
from service.subscriptions.timezones import day
from service.subscriptions.validation import FieldError, require_consent
from service.web.common import personal_token, subscriber_from
from service.web.subscriber import bp, preferences_token

ONE_CLICK = "One-Click"  # RFC 8058: the body is List-Unsubscribe=One-Click


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
        preferences_token=preferences_token(subscriber) if current else None,
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
