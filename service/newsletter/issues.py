"""An issue's life: write, edit, review, schedule, cancel, stop. Operations that only flush.

The admin pages (and the CLI) are thin views over these; each takes a session, changes
rows and flushes, and the caller commits. Bad input raises IssueError with a message for
staff, and changes nothing.

- `create_issue(session, subject, preheader, body, now, by="", include_course=False)`
- `edit_issue(session, issue, now, subject=..., preheader=..., body=..., include_course=...)`
- `health_problems(issue) -> list[Problem]`: banned claims, incomplete emergency signs.
- `needs_signoff(issue) -> bool`: the text trips a check and is not signed off as it is.
- `submit_for_review(session, issue, by, now)`, `approve(session, issue, by, now)`,
  `send_back(session, issue, by, comment, now)`
- `schedule_issue(session, issue, schedule, now, clinic_zone)`: send now (queued at once),
  or at a clinic time, or at each subscriber's hour on a date (the dispatch pass queues).
- `cancel_issue(session, issue, now)`: a scheduled issue, before anything went.
- `stop_issue(session, issue, now) -> int`: a sending issue: what went stays sent, the
  queued rows are cancelled and the sending side refuses the rest.
- `list_issues(session)`, `get_issue(session, id_or_slug)`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.course.check import claim_problems
from service.course.emergency import emergency_problems
from service.course.problems import Problem
from service.delivery.queueing import cancel_issue_rows
from service.mail import markdown
from service.models import IssueStatus, NewsletterIssue, ScheduleMode
from service.newsletter.fanout import queue_issue
from service.newsletter.schedule import Schedule

MAX_SUBJECT = 120
MAX_PREHEADER = 200
MAX_COMMENT = 2000
EDITABLE = (IssueStatus.DRAFT, IssueStatus.IN_REVIEW)


class IssueError(ValueError):
    """What staff asked cannot be done to this issue; the message says why."""


def text_hash(issue: NewsletterIssue) -> str:
    text = f"{issue.subject}\0{issue.preheader}\0{issue.body}"
    return hashlib.sha256(text.encode()).hexdigest()


def _clean(subject: str, preheader: str, body: str) -> tuple[str, str, str]:
    subject, preheader = " ".join(subject.split()), " ".join(preheader.split())
    if not subject:
        raise IssueError("The issue needs a subject.")
    if len(subject) > MAX_SUBJECT:
        raise IssueError(f"The subject is {len(subject)} characters; keep it to {MAX_SUBJECT}.")
    if len(preheader) > MAX_PREHEADER:
        raise IssueError(f"The preheader is {len(preheader)} characters; keep it to "
                         f"{MAX_PREHEADER}.")
    if not body.strip():
        raise IssueError("The issue needs some text.")
    return subject, preheader, body.strip() + "\n"


def create_issue(session: Session, subject: str, preheader: str, body: str, now: datetime,
                 by: str = "", include_course: bool = False) -> NewsletterIssue:
    """A new draft."""
    subject, preheader, body = _clean(subject, preheader, body)
    issue = NewsletterIssue(subject=subject, preheader=preheader, body=body,
                            status=IssueStatus.DRAFT, include_course=include_course,
                            created_at=now, updated_at=now, created_by=by[:120])
    session.add(issue)
    session.flush()
    return issue


def edit_issue(session: Session, issue: NewsletterIssue, now: datetime, *,
               subject: str | None = None, preheader: str | None = None,
               body: str | None = None, include_course: bool | None = None) -> None:
    """Change a draft (or one in review: it goes back to draft, and needs review again)."""
    if issue.status not in EDITABLE:
        raise IssueError(f"An issue that is {label(issue.status)} can no longer be edited.")
    issue.subject, issue.preheader, issue.body = _clean(
        issue.subject if subject is None else subject,
        issue.preheader if preheader is None else preheader,
        issue.body if body is None else body)
    if include_course is not None:
        issue.include_course = include_course
    issue.status = IssueStatus.DRAFT
    issue.updated_at = now
    session.flush()


def health_problems(issue: NewsletterIssue) -> list[Problem]:
    """The course's health checks on an issue: claims not supported, partial emergency signs."""
    words = markdown.plain_words(issue.body)
    found = emergency_problems(f"{issue.subject}\n{issue.preheader}\n{words}",
                               f"issue {issue.id or 'new'}")
    return found + claim_problems(issue)  # type: ignore[arg-type]  # subject, preheader, body


def needs_signoff(issue: NewsletterIssue) -> bool:
    """Whether the text trips a health check and was not signed off exactly as it stands."""
    return bool(health_problems(issue)) and issue.approved_hash != text_hash(issue)


def submit_for_review(session: Session, issue: NewsletterIssue, by: str,
                      now: datetime) -> None:
    """Ask for clinical sign-off (the admin's "submit for review")."""
    if issue.status != IssueStatus.DRAFT:
        raise IssueError(f"Only a draft can be submitted; this issue is {label(issue.status)}.")
    issue.status = IssueStatus.IN_REVIEW
    issue.submitted_by, issue.submitted_at = by[:120], now
    issue.returned_by = issue.review_comment = None
    session.flush()


def approve(session: Session, issue: NewsletterIssue, by: str, now: datetime) -> None:
    """Clinical sign-off of the text as it stands: who and when are recorded."""
    if issue.status != IssueStatus.IN_REVIEW:
        raise IssueError("Only an issue in review can be signed off.")
    if not by.strip():
        raise IssueError("Sign-off needs the name of the clinician who gives it.")
    if issue.submitted_by and by.strip() == issue.submitted_by:
        raise IssueError("Someone other than the author must sign off.")
    issue.status = IssueStatus.DRAFT
    issue.approved_by, issue.approved_at = by.strip()[:120], now
    issue.approved_hash = text_hash(issue)
    session.flush()


def send_back(session: Session, issue: NewsletterIssue, by: str, comment: str,
              now: datetime) -> None:
    """A clinician returns an issue in review to its author, saying what to change."""
    if issue.status != IssueStatus.IN_REVIEW:
        raise IssueError("Only an issue in review can be sent back.")
    comment = comment.strip()
    if not comment:
        raise IssueError("Say what should change, so the author knows what to fix.")
    if len(comment) > MAX_COMMENT:
        raise IssueError(f"The comment is {len(comment)} characters; keep it to {MAX_COMMENT}.")
    issue.status = IssueStatus.DRAFT
    issue.returned_by, issue.review_comment = by.strip()[:120], comment
    issue.updated_at = now
    session.flush()


def slug_for(session: Session, issue: NewsletterIssue) -> str:
    """A readable archive address from the subject, unique (the id settles any clash)."""
    plain = unicodedata.normalize("NFKD", issue.subject).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:70].strip("-") or "issue"
    taken = session.scalar(select(NewsletterIssue.id).where(NewsletterIssue.slug == words))
    return words if taken in (None, issue.id) else f"{words}-{issue.id}"


def schedule_issue(session: Session, issue: NewsletterIssue, schedule: Schedule,
                   now: datetime, clinic_zone: str = "UTC") -> int:
    """Schedule a draft; send now queues it at once. Rows queued now (0 when later)."""
    if issue.status == IssueStatus.IN_REVIEW:
        raise IssueError("This issue is waiting for clinical sign-off.")
    if issue.status != IssueStatus.DRAFT:
        raise IssueError(f"This issue is {label(issue.status)}; only a draft can be sent.")
    if needs_signoff(issue):
        problems = "; ".join(p.message for p in health_problems(issue))
        raise IssueError(f"This issue needs clinical sign-off before it goes ({problems}). "
                         "Submit it for review.")
    issue.schedule_mode = schedule.mode
    issue.send_at, issue.send_day = schedule.at, schedule.day
    issue.scheduled_at = now
    issue.slug = issue.slug or slug_for(session, issue)
    issue.status = IssueStatus.SCHEDULED
    session.flush()
    if schedule.mode == ScheduleMode.NOW:
        return queue_issue(session, issue, now, clinic_zone)
    return 0


def cancel_issue(session: Session, issue: NewsletterIssue, now: datetime) -> None:
    """Take back a scheduled issue before it goes (one already sending is stopped instead)."""
    if issue.status == IssueStatus.SENDING:
        raise IssueError("This issue is already going out: stop it instead.")
    if issue.status not in (IssueStatus.SCHEDULED, IssueStatus.DRAFT, IssueStatus.IN_REVIEW):
        raise IssueError(f"This issue is {label(issue.status)}; there is nothing to cancel.")
    issue.status = IssueStatus.CANCELLED
    issue.finished_at = now
    session.flush()


def stop_issue(session: Session, issue: NewsletterIssue, now: datetime) -> int:
    """Stop an issue that is sending; the queued rows taken back.

    After the commit, each sending connection sends at most the one message of it already
    on its way: the status comes back with every "sent" mark, and a connection reads it
    before its first message of an issue.
    """
    if issue.status != IssueStatus.SENDING:
        raise IssueError(f"This issue is {label(issue.status)}, not sending: nothing to stop.")
    issue.status = IssueStatus.STOPPED
    issue.finished_at = now
    session.flush()
    return cancel_issue_rows(session, issue.id)


LABELS = {IssueStatus.IN_REVIEW: "in review"}


def label(status: str) -> str:
    """A status in words ("in review")."""
    return LABELS.get(IssueStatus(status), str(status))


def list_issues(session: Session) -> list[NewsletterIssue]:
    """Every issue, newest first."""
    return list(session.scalars(select(NewsletterIssue).order_by(NewsletterIssue.id.desc())))


def get_issue(session: Session, key: str | int) -> NewsletterIssue | None:
    """An issue by id or by archive slug."""
    text = str(key)
    if text.isdigit():
        return session.get(NewsletterIssue, int(text))
    return session.scalar(select(NewsletterIssue).where(NewsletterIssue.slug == text))
