"""Who gets an issue, how many that is, and queueing it for them (set-based, repeatable).

The audience: active subscribers with the newsletter on, not suppressed, not paused, and
not still in the course (unless the issue includes them): "in the course" means the
course is on and they have not finished it. A suppressed address (status, or its keyed
hash) is also refused again by the sending side, which sees every row before it goes.

- `audience_count(session, include_course, now) -> int`: the number the page shows.
- `queue_issue(session, issue, now) -> int`: fan an issue out for what is due at `now`:
  everyone at once (NOW, CLINIC_TIME), or each (zone, send hour) group whose hour on the
  issue's date has come (SUBSCRIBER_HOUR). Safe to run twice or from two workers.
- `queue_due_issues(session, now) -> int`: what the dispatch pass calls every minute.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from service.delivery.queueing import newsletter_wanted, queue_newsletter
from service.models import (
    Delivery,
    DeliveryStatus,
    Enrolment,
    IssueStatus,
    NewsletterIssue,
    ScheduleMode,
    Subscriber,
)
from service.newsletter.schedule import group_instant

# Every zone's day has begun and ended this long after the date begins in UTC (UTC-12 is
# the last place on Earth where a date ends; 23:00 there is the latest send hour).
LAST_HOUR_AFTER = timedelta(hours=12 + 23)


def _finished_course() -> ColumnElement[bool]:
    return exists().where(Enrolment.subscriber_id == Subscriber.id,
                          Enrolment.completed_at.is_not(None))


def audience(include_course: bool, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE of an issue's audience at `now`."""
    rules = [*newsletter_wanted(),
             or_(Subscriber.paused_until.is_(None), Subscriber.paused_until <= now)]
    if not include_course:
        rules.append(or_(Subscriber.course_enabled.is_(False), _finished_course()))
    return rules


def audience_count(session: Session, include_course: bool, now: datetime) -> int:
    """How many would receive an issue sent at `now` (the page shows it before sending)."""
    return int(session.scalar(select(func.count(Subscriber.id))
                              .where(*audience(include_course, now))) or 0)


def _not_yet(issue: NewsletterIssue) -> ColumnElement[bool]:
    # Those already queued are skipped by ON CONFLICT too; this keeps the groups query small.
    return not_(exists().where(Delivery.subscriber_id == Subscriber.id,
                               Delivery.newsletter_issue_id == issue.id))


def _due_groups(session: Session, issue: NewsletterIssue, now: datetime,
                clinic_zone: str) -> list[tuple[str, int, datetime]]:
    """The (zone, send hour) groups whose hour on the issue's date has come by `now`."""
    assert issue.send_day is not None
    rows = session.execute(
        select(Subscriber.timezone, Subscriber.send_hour).distinct()
        .where(*audience(issue.include_course, now), _not_yet(issue))
    ).all()
    groups = [(zone, hour, group_instant(issue.send_day, zone, hour, clinic_zone))
              for zone, hour in rows]
    return [group for group in groups if group[2] <= now]


def queue_issue(session: Session, issue: NewsletterIssue, now: datetime,
                clinic_zone: str = "UTC") -> int:
    """Queue what of `issue` is due at `now` for its audience; rows added (0 on a repeat)."""
    if issue.status not in (IssueStatus.SCHEDULED, IssueStatus.SENDING, IssueStatus.DRAFT):
        return 0
    if issue.schedule_mode != ScheduleMode.SUBSCRIBER_HOUR:
        return queue_newsletter(session, issue, now, where=audience(issue.include_course, now))
    added = 0
    for zone, hour, instant in _due_groups(session, issue, now, clinic_zone):
        group = and_(Subscriber.timezone == zone, Subscriber.send_hour == hour)
        added += queue_newsletter(session, issue, now, due_at=instant,
                                  where=[*audience(issue.include_course, now), group])
    if added and issue.status == IssueStatus.SCHEDULED:
        issue.status = IssueStatus.SENDING
    return added


def _day_over(issue: NewsletterIssue, now: datetime) -> bool:
    if issue.schedule_mode != ScheduleMode.SUBSCRIBER_HOUR or issue.send_day is None:
        return True
    return now >= datetime.combine(issue.send_day, time(0), tzinfo=UTC) + LAST_HOUR_AFTER


def _first_instant(issue: NewsletterIssue) -> datetime | None:
    if issue.schedule_mode == ScheduleMode.SUBSCRIBER_HOUR and issue.send_day is not None:
        return datetime.combine(issue.send_day, time(0), tzinfo=UTC) - timedelta(hours=14)
    return issue.send_at


def queue_due_issues(session: Session, now: datetime, clinic_zone: str = "UTC") -> int:
    """Queue every scheduled issue (or zone group) due at `now`; mark finished ones sent.

    Flushes only; the dispatch pass commits. Two passes at once add nobody twice.
    """
    added = 0
    for issue in session.scalars(select(NewsletterIssue).where(
            NewsletterIssue.status.in_([IssueStatus.SCHEDULED, IssueStatus.SENDING]))):
        first = _first_instant(issue)
        if first is not None and first > now:
            continue
        if issue.status == IssueStatus.SCHEDULED or not _day_over(issue, now):
            added += queue_issue(session, issue, now, clinic_zone)
        if issue.status == IssueStatus.SCHEDULED and _day_over(issue, now):
            issue.status = IssueStatus.SENDING  # nobody's hour came: nothing to send
        finish_if_done(session, issue, now)
    session.flush()
    return added


def finish_if_done(session: Session, issue: NewsletterIssue, now: datetime) -> bool:
    """Mark a sending issue sent when every group is queued and nothing is left to send."""
    if issue.status != IssueStatus.SENDING or not _day_over(issue, now):
        return False
    left = session.scalar(select(func.count(Delivery.id)).where(
        Delivery.newsletter_issue_id == issue.id, Delivery.subscriber_id.is_not(None),
        Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING])))
    if left:
        return False
    issue.status = IssueStatus.SENT
    issue.finished_at = now
    session.flush()
    return True
