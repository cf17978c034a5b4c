"""`flask --app wsgi lessons …`: import, export and check the course files."""

import click
from flask.cli import AppGroup

lessons_cli = AppGroup("lessons", help="Import, export and check the course.")


@lessons_cli.command("import")
@click.argument("directory", default="lessons")
def import_command(directory: str) -> None:
    """Load or update the course from DIRECTORY as new revisions."""
    raise click.ClickException("not built yet")
