"""`flask --app wsgi dispatch` and `worker`."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from service.extensions import current_app_object
from service.models import utcnow


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
    """Queue what is due and deliver the outbox, lane by lane, once."""
    from service.delivery.dispatch import run_pass

    counts = run_pass(current_app_object(), _instant(now_text))
    click.echo(counts.line())


@click.command("worker")
@click.option("--interval", default=60, show_default=True,
              help="Seconds between full passes (transactional mail is looked for every 2 s).")
@with_appcontext
def worker_command(interval: int) -> None:
    """Send all mail until stopped: without it none leaves (SIGTERM stops it cleanly)."""
    from service.jobs import run_worker

    run_worker(current_app_object(), interval)
