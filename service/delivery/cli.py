"""`flask --app wsgi dispatch`, `worker` and `subscribers …`."""

import click
from flask.cli import AppGroup, with_appcontext

subscribers_cli = AppGroup("subscribers", help="Bulk import and export of subscribers.")


@click.command("dispatch")
@with_appcontext
def dispatch_command() -> None:
    """Queue what is due and deliver the outbox, once."""
    raise click.ClickException("not built yet")


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run the dispatch pass every minute until stopped."""
    raise click.ClickException("not built yet")
