"""Clinical sign-off for health claims, and the operator's CLI, end to end on rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from service.extensions import db
from service.models import NewsletterIssue
from service.newsletter import issues, schedule
from tests.newsletter.helpers import draft, person

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)
CLAIM = "Our new stretch cures sciatica for good."


def test_a_health_claim_needs_sign_off_by_someone_else_recorded(app: Flask) -> None:
    with app.app_context():
        issue = draft(db.session, NOW, body=CLAIM)
        assert issues.needs_signoff(issue)
        with pytest.raises(issues.IssueError, match="clinical sign-off"):
            issues.schedule_issue(db.session, issue, schedule.send_now(NOW), NOW)
        issues.submit_for_review(db.session, issue, "Dana", NOW)
        assert issue.status == "in_review"
        with pytest.raises(issues.IssueError, match="other than the author"):
            issues.approve(db.session, issue, "Dana", NOW)
        issues.approve(db.session, issue, "Dr Lee", NOW)
        assert (issue.approved_by, issue.approved_at, issue.status) == ("Dr Lee", NOW, "draft")
        issues.edit_issue(db.session, issue, NOW, body=CLAIM + " Guaranteed.")
        assert issues.needs_signoff(issue)  # the signed-off text changed
        issues.edit_issue(db.session, issue, NOW, body=CLAIM)
        assert not issues.needs_signoff(issue)
        issues.schedule_issue(db.session, issue, schedule.send_now(NOW), NOW)
        assert issue.status == "sending"


def test_a_clinician_sends_an_issue_back_with_a_comment(app: Flask,
                                                      runner: FlaskCliRunner) -> None:
    with app.app_context():
        issue = draft(db.session, NOW, body=CLAIM)
        with pytest.raises(issues.IssueError, match="in review"):
            issues.send_back(db.session, issue, "Dr Lee", "Soften it.", NOW)
        issues.submit_for_review(db.session, issue, "Dana", NOW)
        with pytest.raises(issues.IssueError, match="what should change"):
            issues.send_back(db.session, issue, "Dr Lee", "  ", NOW)
        assert issue.status == "in_review"
        db.session.commit()
    returned = runner.invoke(args=["newsletter", "send-back", "1", "--by", "Dr Lee",
                                   "--comment", "Say it may ease pain, not cure it."])
    assert returned.exit_code == 0, returned.output
    with app.app_context():
        issue = db.session.get(NewsletterIssue, 1)
        assert issue is not None
        assert (issue.status, issue.returned_by) == ("draft", "Dr Lee")
        assert issue.review_comment == "Say it may ease pain, not cure it."
        assert issue.approved_by is None and issues.needs_signoff(issue)
        issues.submit_for_review(db.session, issue, "Dana", NOW)
        assert issue.review_comment is None  # a fresh review
    again = runner.invoke(args=["newsletter", "send-back", "1", "--by", "Dr Lee",
                                "--comment", "x"])
    assert again.exit_code != 0 and "in review" in again.output


def test_partial_emergency_signs_need_sign_off_and_plain_news_does_not(app: Flask) -> None:
    with app.app_context():
        partial = draft(db.session, NOW, body="Numbness between your legs is an emergency.")
        assert [p.rule for p in issues.health_problems(partial)] == ["emergency-signs"]
        assert not issues.needs_signoff(draft(db.session, NOW, subject="Opening hours"))


def test_bad_input_is_refused_and_changes_nothing(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(issues.IssueError, match="subject"):
            issues.create_issue(db.session, "  ", "", "text", NOW)
        with pytest.raises(issues.IssueError, match="text"):
            issues.create_issue(db.session, "News", "", " \n", NOW)
        issue = draft(db.session, NOW)
        issues.schedule_issue(db.session, issue, schedule.send_now(NOW), NOW)
        with pytest.raises(issues.IssueError, match="no longer be edited"):
            issues.edit_issue(db.session, issue, NOW, subject="Changed")
        with pytest.raises(issues.IssueError, match="stop it instead"):
            issues.cancel_issue(db.session, issue, NOW)
        assert issue.subject == "Winter news"


def test_an_operator_creates_sends_and_lists_from_the_command_line(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    with app.app_context():
        person(db.session, "ann@example.com", NOW)
        db.session.commit()
    source = tmp_path / "winter.md"
    source.write_text("---\npreheader: Longer Saturdays\n---\n# Winter news\n\nWe open at 8.\n")
    created = runner.invoke(args=["newsletter", "create", str(source), "--by", "Dana"])
    assert created.exit_code == 0, created.output
    assert "issue 1 created as a draft: Winter news" in created.output
    late = runner.invoke(args=["newsletter", "send", "1", "--at", "2020-01-01T09:00"])
    assert late.exit_code != 0 and "passed" in late.output
    sent = runner.invoke(args=["newsletter", "send", "1"])
    assert sent.exit_code == 0 and "queued for 1 subscribers" in sent.output
    listed = runner.invoke(args=["newsletter", "list"])
    assert "sending" in listed.output and "0/1" in listed.output
    assert runner.invoke(args=["newsletter", "send", "9"]).exit_code != 0
    stopped = runner.invoke(args=["newsletter", "stop", "1"])
    assert stopped.exit_code == 0 and "1 messages will not go" in stopped.output
    with app.app_context():
        issue = db.session.get(NewsletterIssue, 1)
        assert issue is not None and issue.preheader == "Longer Saturdays"
        assert issue.body.strip() == "We open at 8." and issue.status == "stopped"


def test_the_preview_is_the_email_without_anything_personal(app: Flask) -> None:
    from service.newsletter.preview import preview, readability_of

    unsaved = NewsletterIssue(subject="Winter news", preheader="Longer Saturdays",
                              body="We now open at 8 on Saturdays. Call us to book.")
    shown = preview(unsaved, app.config)
    assert shown.subject == "Winter news" and "We now open at 8" in shown.html
    assert "Hi there," in shown.text and "/unsubscribe/newsletter/" in shown.text
    assert readability_of(unsaved).grade < 8
