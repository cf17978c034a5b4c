"""`flask --app wsgi subscribers import|export`: bulk in and out, with a progress bar."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from service.errors import InvalidInput
from service.extensions import current_app_object, db
from service.models import Subscriber, utcnow
from service.subscriptions.bulk import ImportReport, export_csv, import_csv

subscribers_cli = AppGroup("subscribers", help="Bulk import and export of subscribers.")


def _data_lines(path: str) -> int:
    with open(path, "rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def _summary(report: ImportReport, send_confirmation: bool) -> list[str]:
    """What the import did, in words; the first line is for scripts."""
    lines = [f"imported={report.imported} confirmed={report.confirmed} "
             f"pending={report.pending} left={report.left} already={report.already} "
             f"confirmations={report.confirmations} errors={len(report.errors)}"]
    if report.ignored_columns:
        lines.append(f"Ignored columns: {', '.join(report.ignored_columns)}.")
    if report.already:
        lines.append(f"{report.already} address(es) were already on the list and were left "
                     "unchanged.")
    if send_confirmation:
        lines.append(f"Queued {report.confirmations} confirmation email(s) for pending "
                     "subscribers; the worker sends them (no worker running: run "
                     "`flask --app wsgi dispatch`).")
    elif report.pending:
        lines.append(f"{report.pending} row(s) had no confirmed_at: they are pending and get "
                     "no mail until they confirm. Run the import again with "
                     "--send-confirmation to email each a confirmation link.")
    return lines


@subscribers_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--send-confirmation", is_flag=True,
              help="Queue a confirmation email for every pending row (new, or already on "
                   "the list and still pending). Nothing is sent until the worker runs.")
@with_appcontext
def import_command(path: str, send_confirmation: bool) -> None:
    """Import subscribers from a CSV; only an email column is required.

    Also read, when present: name or first name, timezone (default CLINIC_TIMEZONE),
    send_hour (default 9), weekdays_only, newsletter, confirmed_at (ISO-8601; rows without
    it are pending). Commas, semicolons or tabs; headers in any case.
    """
    app = current_app_object()
    with click.progressbar(length=_data_lines(path), label="Importing", file=sys.stderr) as bar:
        try:
            report = import_csv(app, path, utcnow(), progress=bar.update,
                                send_confirmation=send_confirmation)
        except InvalidInput as error:
            raise click.ClickException(f"{path}: {error}; nothing was imported") from error
    for line, problem in report.errors:
        click.echo(f"line {line}: {problem}", err=True)
    for sentence in _summary(report, send_confirmation):
        click.echo(sentence)
    if report.errors:  # the good rows are in; a script still learns that some were not
        raise SystemExit(1)


@subscribers_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_command(path: str) -> None:
    """Write every subscriber to a CSV, in the columns the import reads."""
    app = current_app_object()
    total = db.session.scalar(select(func.count()).select_from(Subscriber)) or 0
    db.session.commit()
    with click.progressbar(length=total, label="Exporting", file=sys.stderr) as bar:
        count = export_csv(app, path, progress=bar.update)
    click.echo(f"exported={count}")
