"""`flask --app wsgi lessons …`: import, export and check the course files."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from service.course.check import WORDS_PER_MINUTE, check_directory
from service.course.content import ContentError, lesson_paths
from service.course.importer import export_lessons, import_lessons
from service.extensions import db
from service.mail import markdown
from service.mail.render import ClinicSettings
from service.models import utcnow

lessons_cli = AppGroup("lessons", help="Import, export and check the course.")


@lessons_cli.command("import")
@click.argument("directory", default="lessons")
def import_command(directory: str) -> None:
    """Load or update the course from DIRECTORY (default: lessons) as new revisions.

    A changed file that fails `lessons check` becomes a draft in the admin, nothing is
    published, and the command exits with status 1.
    """
    settings = ClinicSettings.from_config(current_app.config)
    try:
        if not lesson_paths(directory):
            click.echo(f"no lessons found in {directory}")
            return
        summary = import_lessons(db.session(), directory, utcnow(), settings)
    except ContentError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    for label, slugs in (
        ("created", summary.created),
        ("updated (new revision)", summary.updated),
        ("moved", summary.moved),
    ):
        for slug in slugs:
            click.echo(f"{label}: {slug}")
    if summary.failed:
        for slug, number, problems in summary.drafts:
            click.echo(f"draft: {slug} (revision {number}) fails the check: "
                       f"{'; '.join(problems)}", err=True)
        for slug in summary.held:
            click.echo(f"not published (another file failed): {slug}", err=True)
        click.echo(f"{len(summary.drafts)} changed lessons failed the check: nothing was "
                   "published; fix them in the files or in the admin", err=True)
        raise SystemExit(1)
    click.echo(
        f"{summary.total} lessons: {len(summary.created)} created, {len(summary.updated)} "
        f"updated, {len(summary.unchanged)} unchanged"
    )


@lessons_cli.command("export")
@click.argument("directory")
def export_command(directory: str) -> None:
    """Write the published course into DIRECTORY as lesson files."""
    paths = export_lessons(db.session(), directory)
    for path in paths:
        click.echo(f"wrote {path}")
    click.echo(f"{len(paths)} lessons exported to {directory}")


@lessons_cli.command("check")
@click.argument("directory", default="lessons")
def check_command(directory: str) -> None:
    """Lint every lesson in DIRECTORY and the email footer; exits 1 on any problem."""
    try:
        course = check_directory(directory, ClinicSettings.from_config(current_app.config))
    except ContentError as error:
        raise click.ClickException(error.message) from error
    reports = course.lessons
    if not reports:
        click.echo(f"no lessons found in {directory}")
        return
    width = max(len("slug"), *(len(r.slug) for r in reports))
    click.echo(f"{'slug':<{width}}  grade  smog  minutes  problems")
    for report in reports:
        count = len(report.problems)
        click.echo(f"{report.slug:<{width}}  {_number(report.grade, 5)}  "
                   f"{_number(report.smog, 4)}  {_number(report.minutes, 7)}  "
                   + (f"{count} problem{'s' if count > 1 else ''}:" if count else "ok"))
        _problems(report.messages)
    click.echo("every email (footer, glossary): "
               + (f"{len(course.shared)} problems:" if course.shared else "ok"))
    _problems([problem.message for problem in course.shared])
    failed = [r for r in reports if not r.ok]
    if failed or course.shared:
        click.echo(f"{len(failed)} of {len(reports)} lessons failed the check"
                   + ("; the shared parts failed too" if course.shared else ""), err=True)
        raise SystemExit(1)
    click.echo(f"all {len(reports)} lessons pass (grade: Flesch-Kincaid, at most 8; "
               f"minutes at {WORDS_PER_MINUTE} words a minute)")


def _problems(messages: list[str]) -> None:
    for message in messages:
        click.echo(markdown.wrap(message, "    - ", "      "))


def _number(value: float | None, width: int) -> str:
    return f"{value:{width}.1f}" if value is not None else "-".rjust(width)
