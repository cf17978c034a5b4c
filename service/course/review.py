"""Clinical sign-off: drafts, submission, approval (which publishes), sending back, rollback.

Every operation takes a session, checks who may do it, records an audit entry and flushes;
the request or command commits. Nothing is published without passing `lessons check`: the
rule lives here, so no route, command or button can get around it.

Rollback rule: a rollback is a new revision with the earlier text. A clinician reviewer who
rolls back to a revision that a clinician approved publishes it at once (the text was signed
off already, and they sign off its return); anyone else's rollback, or a rollback to a text
nobody reviewed (an import), goes to review like any draft.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from service.course import revisions
from service.course.checking import CheckResult, check_revision
from service.course.revisions import Fields
from service.errors import ServiceError
from service.mail.render import ClinicSettings
from service.models import Lesson, LessonRevision, Staff, StaffRole, record
from service.models.course import RevisionStatus


class NotAllowed(ServiceError):
    status_code = 403
    title = "You cannot do that"


class NotPublishable(ServiceError):
    status_code = 409
    title = "This revision cannot be published"


class StaleReview(ServiceError):
    status_code = 409
    title = "The draft changed while you read it"


def can_review(staff: Staff) -> bool:
    """Clinical sign-off is for clinicians with the reviewer or owner role."""
    return staff.is_clinician and staff.role in (StaffRole.REVIEWER, StaffRole.OWNER)


def can_retire(staff: Staff) -> bool:
    """Taking a lesson out of the course changes what patients get: reviewers and owners."""
    return staff.role in (StaffRole.REVIEWER, StaffRole.OWNER)


def _target(lesson: Lesson) -> str:
    return f"lesson:{lesson.slug}"


def _snapshot(revision: LessonRevision | None) -> dict[str, object] | None:
    if revision is None:
        return None
    return {"number": revision.number, "status": revision.status,
            "subject": revision.subject, "preheader": revision.preheader,
            "delay_days": revision.delay_days, "sources": list(revision.sources or ()),
            "body": revision.body}


def credit_line(reviewer: Staff, when: datetime, zone: str) -> str:
    """"Reviewed by NAME, CREDENTIALS, DATE", or "" for a reviewer who does not sign."""
    if not reviewer.sign_reviews:
        return ""
    day = when.astimezone(ZoneInfo(zone)).date()
    return f"Reviewed by {reviewer.signature}, {day:%B} {day.day}, {day.year}"


def save_draft(session: Session, lesson: Lesson, fields: Fields, staff: Staff,
               now: datetime) -> LessonRevision | None:
    """Save the editor's text as the open draft; None when it equals what is there already.

    Editing a draft that was waiting for review takes it back to draft: it is submitted again
    once the editor is done, so a reviewer never approves text they have not seen.
    """
    draft = revisions.open_draft(lesson)
    current = draft or lesson.published
    if current is not None and current.content_hash == fields.content_hash:
        return None
    before = _snapshot(draft)
    if draft is None:
        draft = revisions.add_revision(lesson, fields, now, status=RevisionStatus.DRAFT,
                                       created_by=staff.name, author_id=staff.id)
    else:
        revisions.update_revision(draft, fields)
        draft.status, draft.submitted_at = RevisionStatus.DRAFT, None
        draft.created_by, draft.author_id, draft.created_at = staff.name, staff.id, now
    session.flush()
    record(session, staff, "lesson.save_draft", _target(lesson), before, _snapshot(draft),
           now=now)
    return draft


def submit(session: Session, lesson: Lesson, staff: Staff, now: datetime) -> LessonRevision:
    """Send the open draft to the reviewers (one already waiting stays as it is)."""
    draft = revisions.open_draft(lesson)
    if draft is None:
        raise ServiceError("There is no draft to submit: the text is the published one.")
    if draft.status == RevisionStatus.IN_REVIEW:
        return draft
    draft.status, draft.submitted_at = RevisionStatus.IN_REVIEW, now
    session.flush()
    record(session, staff, "lesson.submit", _target(lesson), after={"number": draft.number},
           now=now)
    return draft


def check(lesson: Lesson, revision: LessonRevision | Fields,
          settings: ClinicSettings) -> CheckResult:
    """`lessons check` on one revision of this lesson."""
    return check_revision(lesson.slug, lesson.position, revision, settings)


def _publish(session: Session, lesson: Lesson, revision: LessonRevision, reviewer: Staff,
             now: datetime, settings: ClinicSettings, zone: str, action: str) -> None:
    result = check(lesson, revision, settings)
    if not result.ok:
        problems = "; ".join(f.message for f in result.findings)
        raise NotPublishable(f"Revision {revision.number} fails the lesson check: {problems}")
    before = _snapshot(lesson.published)
    revision.status = RevisionStatus.PUBLISHED
    revision.reviewer_id, revision.reviewed_at, revision.approved_at = reviewer.id, now, now
    revision.review_credit = credit_line(reviewer, now, zone)
    lesson.published_number = revision.number
    session.flush()
    record(session, reviewer, action, _target(lesson), before, _snapshot(revision), now=now)


def approve(session: Session, lesson: Lesson, number: int, reviewer: Staff, now: datetime,
            settings: ClinicSettings, *, seen_hash: str, zone: str = "UTC") -> LessonRevision:
    """A clinician approves a submitted revision: it becomes the published text."""
    if not can_review(reviewer):
        raise NotAllowed("Only a clinician reviewer can approve a lesson.")
    revision = revisions.find(lesson, number)
    if revision is None or revision.status != RevisionStatus.IN_REVIEW:
        raise ServiceError(f"Revision {number} is not waiting for review.")
    if revision.content_hash != seen_hash:
        raise StaleReview("The draft was edited after you opened it. Read it again.")
    _publish(session, lesson, revision, reviewer, now, settings, zone, "lesson.approve")
    return revision


def send_back(session: Session, lesson: Lesson, number: int, reviewer: Staff, comment: str,
              now: datetime) -> LessonRevision:
    """A clinician returns a submitted revision to its author with a comment."""
    if not can_review(reviewer):
        raise NotAllowed("Only a clinician reviewer can send a lesson back.")
    comment = comment.strip()
    if not comment:
        raise ServiceError("Say what needs to change, so the editor knows.")
    revision = revisions.find(lesson, number)
    if revision is None or revision.status != RevisionStatus.IN_REVIEW:
        raise ServiceError(f"Revision {number} is not waiting for review.")
    revision.status, revision.review_comment = RevisionStatus.REJECTED, comment[:5000]
    revision.reviewer_id, revision.reviewed_at = reviewer.id, now
    session.flush()
    record(session, reviewer, "lesson.send_back", _target(lesson),
           after={"number": number, "comment": revision.review_comment}, now=now)
    return revision


def rollback(session: Session, lesson: Lesson, number: int, staff: Staff, now: datetime,
             settings: ClinicSettings, *, zone: str = "UTC") -> LessonRevision:
    """Restore an earlier revision's text as a new revision (see the module's rule)."""
    source = revisions.find(lesson, number)
    if source is None:
        raise ServiceError(f"This lesson has no revision {number}.")
    if number == lesson.published_number and revisions.open_draft(lesson) is None:
        raise ServiceError(f"Revision {number} is already the published text.")
    signed_off = source.approved_at is not None and source.reviewer_id is not None
    restored = revisions.add_revision(
        lesson, revisions.fields_of(source), now, status=RevisionStatus.IN_REVIEW,
        created_by=staff.name, author_id=staff.id)
    restored.submitted_at, restored.restored_from = now, number
    session.flush()
    record(session, staff, "lesson.rollback", _target(lesson), _snapshot(lesson.published),
           _snapshot(restored), now=now)
    if can_review(staff) and signed_off and check(lesson, restored, settings).ok:
        _publish(session, lesson, restored, staff, now, settings, zone, "lesson.approve")
    return restored
