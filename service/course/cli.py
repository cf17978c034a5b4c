"""`flask --app wsgi lessons …`: import, export and check the course files."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from service.course.check import check_directory
from service.course.content import ContentError, lesson_paths
from service.course.importer import export_lessons, import_lessons
from service.extensions import db
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
        summary = import_lessons(db.session, directory, utcnow(), settings)
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
    paths = export_lessons(db.session, directory)
    for path in paths:
        click.echo(f"wrote {path}")
    click.echo(f"{len(paths)} lessons exported to {directory}")


@lessons_cli.command("check")
@click.argument("directory", default="lessons")
def check_command(directory: str) -> None:
    """Lint every lesson in DIRECTORY; exits non-zero if any lesson has a problem."""
    try:
        reports = check_directory(directory, ClinicSettings.from_config(current_app.config))
    except ContentError as error:
        raise click.ClickException(error.message) from error
    if not reports:
        click.echo(f"no lessons found in {directory}")
        return
    width = max(len("slug"), *(len(r.slug) for r in reports))
    click.echo(f"{'slug':<{width}}  grade  minutes  problems")
    for report in reports:
        grade = f"{report.grade:5.1f}" if report.grade is not None else "    -"
        minutes = f"{report.minutes:7.1f}" if report.minutes is not None else "      -"
        problems = "; ".join(report.problems) or "ok"
        click.echo(f"{report.slug:<{width}}  {grade}  {minutes}  {problems}")
    failed = [r for r in reports if not r.ok]
    if failed:
        click.echo(f"{len(failed)} of {len(reports)} lessons failed the check", err=True)
        raise SystemExit(1)
    click.echo(f"all {len(reports)} lessons pass")
