"""`flask --app wsgi newsletter …`: the operator's way to write, review, send and watch an issue.

Every command only writes rows; the worker sends. `send ID` queues the issue for its
audience now (the next pass sends it), `--at` schedules it at a clinic time, `--their-hour
DATE` at each subscriber's own send hour on that date.
"""

from __future__ import annotations

from pathlib import Path

import click
import frontmatter
from flask import current_app
from flask.cli import AppGroup

from service.extensions import db
from service.models import NewsletterIssue, utcnow
from service.newsletter import fanout, issues, reports, schedule

newsletter_cli = AppGroup("newsletter", help="Write, review, schedule, send and stop issues.")


def _issue(issue_id: int) -> NewsletterIssue:
    found = db.session.get(NewsletterIssue, issue_id)
    if found is None:
        raise click.ClickException(f"there is no issue {issue_id}")
    return found


def _fail(error: ValueError) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(str(error))


@newsletter_cli.command("list")
def list_command() -> None:
    """Every issue, newest first: id, status, sent / out of, subject."""
    for issue in issues.list_issues(db.session()):
        done = reports.progress(db.session(), issue)
        click.echo(f"{issue.id:>4}  {issues.label(issue.status):<10} "
                   f"{done.sent:>7}/{done.total:<7} {issue.subject}")


@newsletter_cli.command("create")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", default="", help="Who wrote it (recorded).")
@click.option("--include-course", is_flag=True, help="Send it to those still in the course too.")
def create_command(path: Path, by: str, include_course: bool) -> None:
    """A draft from a Markdown file (front matter: subject, preheader; or a first # heading)."""
    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise click.ClickException(f"{path.name}: cannot read it: {error}") from error
    body = post.content
    subject = str(post.get("subject") or "")
    if not subject and body.lstrip().startswith("# "):
        first, _, body = body.lstrip().partition("\n")
        subject = first[2:].strip()
    try:
        issue = issues.create_issue(db.session(), subject, str(post.get("preheader") or ""),
                                    body, utcnow(), by, include_course)
    except issues.IssueError as error:
        raise _fail(error) from error
    problems = issues.health_problems(issue)
    db.session.commit()
    click.echo(f"issue {issue.id} created as a draft: {issue.subject}")
    for problem in problems:
        click.echo(f"  needs clinical sign-off: {problem.message}")


@newsletter_cli.command("submit")
@click.argument("issue_id", type=int)
@click.option("--by", required=True, help="Who asks for the review.")
def submit_command(issue_id: int, by: str) -> None:
    """Ask for clinical sign-off."""
    try:
        issues.submit_for_review(db.session(), _issue(issue_id), by, utcnow())
    except issues.IssueError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(f"issue {issue_id} is in review")


@newsletter_cli.command("approve")
@click.argument("issue_id", type=int)
@click.option("--by", required=True, help="The clinician who signs it off (recorded).")
def approve_command(issue_id: int, by: str) -> None:
    """Clinical sign-off of the issue's text as it stands."""
    try:
        issues.approve(db.session(), _issue(issue_id), by, utcnow())
    except issues.IssueError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(f"issue {issue_id} signed off by {by}")


@newsletter_cli.command("send-back")
@click.argument("issue_id", type=int)
@click.option("--by", required=True, help="The clinician who sends it back (recorded).")
@click.option("--comment", required=True, help="What should change.")
def send_back_command(issue_id: int, by: str, comment: str) -> None:
    """Return an issue in review to its author, with a comment."""
    try:
        issues.send_back(db.session(), _issue(issue_id), by, comment, utcnow())
    except issues.IssueError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(f"issue {issue_id} is back with its author")


@newsletter_cli.command("send")
@click.argument("issue_id", type=int)
@click.option("--at", "at_text", metavar="ISO-8601",
              help="When, in the clinic's zone unless an offset is given; default: now.")
@click.option("--their-hour", "day_text", metavar="DATE",
              help="On this date, at each subscriber's own send hour.")
def send_command(issue_id: int, at_text: str | None, day_text: str | None) -> None:
    """Queue an issue for its audience now, or schedule it."""
    now, zone = utcnow(), current_app.config["CLINIC_TIMEZONE"]
    issue = _issue(issue_id)
    try:
        if at_text and day_text:
            raise schedule.ScheduleError("give --at or --their-hour, not both")
        chosen = (schedule.parse_when(at_text, zone, now) if at_text else
                  schedule.parse_day(day_text, now) if day_text else schedule.send_now(now))
        queued = issues.schedule_issue(db.session(), issue, chosen, now, zone)
    except (issues.IssueError, schedule.ScheduleError) as error:
        raise _fail(error) from error
    db.session.commit()
    if chosen.mode == "now":
        click.echo(f"issue {issue_id} queued for {queued} subscribers; the worker sends it")
    else:
        count = fanout.audience_count(db.session(), issue.include_course, now)
        when = chosen.at.isoformat() if chosen.at else f"{chosen.day} at each one's hour"
        click.echo(f"issue {issue_id} scheduled for {when} ({count} subscribers today)")


@newsletter_cli.command("cancel")
@click.argument("issue_id", type=int)
def cancel_command(issue_id: int) -> None:
    """Take back a scheduled issue before it goes."""
    try:
        issues.cancel_issue(db.session(), _issue(issue_id), utcnow())
    except issues.IssueError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(f"issue {issue_id} cancelled")


@newsletter_cli.command("stop")
@click.argument("issue_id", type=int)
def stop_command(issue_id: int) -> None:
    """Stop an issue that is sending: what went stays sent, nothing more goes."""
    try:
        taken = issues.stop_issue(db.session(), _issue(issue_id), utcnow())
    except issues.IssueError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(f"issue {issue_id} stopped; {taken} messages will not go")


@newsletter_cli.command("show")
@click.argument("issue_id", type=int)
def show_command(issue_id: int) -> None:
    """Progress and results of one issue."""
    issue = _issue(issue_id)
    done, came = reports.progress(db.session(), issue), reports.results(db.session(), issue)
    click.echo(f"{issue.subject} ({issues.label(issue.status)})")
    click.echo(f"sent {done.sent}, queued {done.queued}, failed {done.failed}, of {done.total}")
    click.echo(f"bounced {came.bounced}, unsubscribes in 7 days {came.unsubscribes}")
    if issue.approved_by:
        click.echo(f"signed off by {issue.approved_by} at {issue.approved_at}")
