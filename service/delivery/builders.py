"""One builder per kind of outbox row: the row (and what it refers to) -> the message.

The sending side never asks what kind a row is; it asks `refusal` whether the row may
go and `build` for its bytes. Each builder picks the content, the links and whether the
message is list mail; service.mail does the rest and knows nothing of kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service import links
from service.mail.compose import (
    SAMPLE_NAME,
    Addressee,
    Sender,
    already_subscribed_content,
    assemble,
    confirmation_content,
    newsletter_content,
)
from service.mail.message import Outgoing
from service.mail.render import ClinicSettings, Place, Rendered, cached, render_lesson
from service.models import (
    Delivery,
    DeliveryStatus,
    IssueStatus,
    LessonRevision,
    MessageKind,
    NewsletterIssue,
    Subscriber,
    SubscriberStatus,
)

TEST_PREFIX = "[Test] "


@dataclass
class Batch:
    """What the rows of one claim refer to, loaded once for the whole claim."""

    people: dict[int, Subscriber] = field(default_factory=dict)
    revisions: dict[int, LessonRevision] = field(default_factory=dict)  # published, by lesson
    drafts: dict[int, LessonRevision] = field(default_factory=dict)  # by id, for test sends
    issues: dict[int, NewsletterIssue] = field(default_factory=dict)
    suppressed: set[str] = field(default_factory=set)  # addresses, among this batch's
    places: dict[int, Place] = field(default_factory=dict)  # "Lesson N of M", by lesson
    signups: dict[int, int] = field(default_factory=dict)  # open consent id, by subscriber


@dataclass(frozen=True)
class Built:
    message: Outgoing
    revision_id: int | None = None  # a lesson records the revision actually composed


@dataclass(frozen=True)
class Env:
    """The settings every builder reads, resolved once per pass."""

    config: Mapping[str, Any]
    clinic: ClinicSettings
    sender: Sender
    now: datetime

    @classmethod
    def from_config(cls, config: Mapping[str, Any], now: datetime) -> Env:
        return cls(config, ClinicSettings.from_config(config), Sender.from_config(config), now)


def refusal(delivery: Delivery, batch: Batch) -> tuple[str, str] | None:
    """Why a claimed row must not be sent now, as (final status, reason), or None."""
    if delivery.subscriber_id is None:  # a test send to a staff address
        if (delivery.to_address or "") in batch.suppressed:
            return DeliveryStatus.SUPPRESSED, "address suppressed"
        return None if delivery.to_address else (DeliveryStatus.FAILED, "no recipient")
    subscriber = batch.people.get(delivery.subscriber_id)
    if subscriber is None:
        return DeliveryStatus.CANCELLED, "subscriber deleted"
    if subscriber.status == SubscriberStatus.SUPPRESSED or subscriber.email in batch.suppressed:
        return DeliveryStatus.SUPPRESSED, "address suppressed"
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        return DeliveryStatus.CANCELLED, "unsubscribed"
    if delivery.kind == MessageKind.LESSON:
        if subscriber.status != SubscriberStatus.ACTIVE:
            return DeliveryStatus.CANCELLED, f"subscriber is {subscriber.status}"
        if batch.revisions.get(delivery.lesson_id or 0) is None:
            return DeliveryStatus.CANCELLED, "lesson no longer published"
    if delivery.kind == MessageKind.NEWSLETTER:
        if subscriber.status != SubscriberStatus.ACTIVE or not subscriber.newsletter_enabled:
            return DeliveryStatus.CANCELLED, "newsletter turned off"
        issue = batch.issues.get(delivery.newsletter_issue_id or 0)
        if issue is None:
            return DeliveryStatus.CANCELLED, "issue deleted"
        if issue.status in (IssueStatus.STOPPED, IssueStatus.CANCELLED):
            return DeliveryStatus.CANCELLED, f"issue {issue.status}"
    return None


def _addressee(config: Mapping[str, Any], subscriber: Subscriber,
               list_name: str = "course") -> Addressee:
    """The person and their links; a newsletter's unsubscribe link stops the newsletter only."""
    unsubscribe = (links.newsletter_unsubscribe_url if list_name == "newsletter"
                   else links.unsubscribe_url)
    return Addressee(
        subscriber.email, subscriber.first_name or "",
        unsubscribe(config, subscriber.public_id, subscriber.link_epoch or 0),
        links.preferences_url(config, subscriber.public_id, subscriber.link_epoch or 0),
    )


def _issue_rendered(issue: NewsletterIssue, env: Env) -> Rendered:
    """An issue rendered once per text (a draft's test sends see each edit)."""
    web = links.archive_url(env.config, issue.slug or str(issue.id))
    content = newsletter_content(issue.subject, issue.preheader, issue.body, web)
    # The text itself is the key: Python hashes a string once, and the rows of one claim
    # share the issue's strings, so the lookup costs next to nothing per message.
    return cached(("newsletter", issue.id, issue.subject, issue.preheader, issue.body, web),
                  content, env.clinic)


def _confirmation(delivery: Delivery, batch: Batch, env: Env) -> Built:
    person = batch.people[delivery.subscriber_id or 0]
    rendered = cached(("confirmation",), confirmation_content(env.clinic.name), env.clinic)
    # The link confirms the signup it was sent for: the newest consent not yet withdrawn.
    action = links.confirm_url(env.config, person.public_id, person.link_epoch or 0,
                               batch.signups.get(person.id))
    return Built(assemble(rendered, _addressee(env.config, person), env.sender, env.now,
                          action_url=action))


def _already_subscribed(delivery: Delivery, batch: Batch, env: Env) -> Built:
    person = batch.people[delivery.subscriber_id or 0]
    to = _addressee(env.config, person)
    content = already_subscribed_content(env.clinic.name)
    rendered = cached(("already_subscribed",), content, env.clinic)
    return Built(assemble(rendered, to, env.sender, env.now, action_url=to.preferences_url))


def _lesson(delivery: Delivery, batch: Batch, env: Env) -> Built:
    person = batch.people[delivery.subscriber_id or 0]
    revision = batch.revisions[delivery.lesson_id or 0]
    rendered = render_lesson(revision.lesson.slug, revision, env.clinic,
                             batch.places.get(revision.lesson_id))
    message = assemble(rendered, _addressee(env.config, person), env.sender, env.now,
                       list_name="course")
    return Built(message, revision.id)


def _newsletter(delivery: Delivery, batch: Batch, env: Env) -> Built:
    person = batch.people[delivery.subscriber_id or 0]
    issue = batch.issues[delivery.newsletter_issue_id or 0]
    to = _addressee(env.config, person, "newsletter")
    return Built(assemble(_issue_rendered(issue, env), to, env.sender, env.now,
                          list_name="newsletter"))


def _test(delivery: Delivery, batch: Batch, env: Env) -> Built:
    """A staff test send: the real layout, links that lead nowhere, "[Test]" in the subject.

    It greets the admin preview's sample patient, so staff read what a patient reads.
    """
    placeholder = "test-send"
    to = Addressee(delivery.to_address or "", SAMPLE_NAME,
                   links.unsubscribe_url(env.config, placeholder),
                   links.preferences_url(env.config, placeholder), display_name="")
    if delivery.newsletter_issue_id is not None:
        issue = batch.issues.get(delivery.newsletter_issue_id)
        if issue is None:
            raise ValueError("the newsletter issue is gone")
        rendered, revision_id = _issue_rendered(issue, env), None
    else:
        revision = batch.drafts.get(delivery.revision_id or 0)
        if revision is None:
            raise ValueError("the lesson revision is gone")
        rendered = render_lesson(revision.lesson.slug, revision, env.clinic,
                                 batch.places.get(revision.lesson_id))
        revision_id = revision.id
    return Built(assemble(rendered, to, env.sender, env.now, subject_prefix=TEST_PREFIX),
                 revision_id)


BUILDERS: dict[str, Callable[[Delivery, Batch, Env], Built]] = {
    MessageKind.CONFIRMATION: _confirmation,
    MessageKind.ALREADY_SUBSCRIBED: _already_subscribed,
    MessageKind.LESSON: _lesson,
    MessageKind.NEWSLETTER: _newsletter,
    MessageKind.TEST: _test,
}


def build(delivery: Delivery, batch: Batch, env: Env) -> Built:
    """The message for one row; ValueError if it cannot be built (no retry would help)."""
    builder = BUILDERS.get(delivery.kind)
    if builder is None:
        raise ValueError(f"no builder for a {delivery.kind!r} message")
    return builder(delivery, batch, env)
