"""`flask --app wsgi dispatch`, `worker` and `subscribers import|export`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

# Imported for its side effect: SQLite connections get WAL and a busy timeout (see there).
from service.errors import InvalidInput
from service.models import utcnow

subscribers_cli = AppGroup("subscribers", help="Bulk import and export of subscribers.")


def _stderr() -> Any:
    """The progress bar goes to stderr, so stdout carries only the summary line."""
    return sys.stderr


def _instant(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"not an ISO-8601 instant: {value}") from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@click.command("dispatch")
@click.option("--now", "now_text", metavar="ISO-8601", help="The instant to run the pass at (UTC "
              "if no offset is given); default: the real now.")
@with_appcontext
def dispatch_command(now_text: str | None) -> None:
    """Queue what is due and deliver the outbox, once."""
    from service.delivery.dispatch import run_pass

    counts = run_pass(current_app._get_current_object(), _instant(now_text))  # type: ignore[attr-defined]
    click.echo(counts.line())


@click.command("worker")
@click.option("--interval", default=60, show_default=True, help="Seconds between passes.")
@with_appcontext
def worker_command(interval: int) -> None:
    """Run the dispatch pass every minute until stopped (SIGTERM stops it cleanly)."""
    from service.jobs import run_worker

    run_worker(current_app._get_current_object(), interval)  # type: ignore[attr-defined]


@subscribers_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_command(path: str) -> None:
    """Import subscribers from a CSV (email,name,timezone,send_hour,confirmed_at,…)."""
    from service.subscriptions.bulk import import_csv

    with open(path, "rb") as handle:
        rows = max(sum(1 for _ in handle) - 1, 0)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with click.progressbar(length=rows, label="Importing", file=_stderr()) as bar:
        try:
            report = import_csv(app, path, utcnow(), progress=bar.update)
        except InvalidInput as error:
            raise click.ClickException(str(error)) from error
    for line, problem in report.errors:
        click.echo(f"line {line}: {problem}", err=True)
    click.echo(f"imported={report.imported} confirmed={report.confirmed} "
               f"pending={report.pending} errors={len(report.errors)}")
    if report.errors:  # the good rows are in; a script still learns that some were not
        raise SystemExit(1)


@subscribers_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_command(path: str) -> None:
    """Write every subscriber to a CSV, in the same columns the import reads."""
    from sqlalchemy import func, select

    from service.extensions import db
    from service.models import Subscriber
    from service.subscriptions.bulk import export_csv

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    total = db.session.scalar(select(func.count()).select_from(Subscriber)) or 0
    db.session.commit()
    with click.progressbar(length=total, label="Exporting", file=_stderr()) as bar:
        count = export_csv(app, path, progress=bar.update)
    click.echo(f"exported={count}")
