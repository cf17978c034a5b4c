"""`flask --app wsgi staff create|list|disable`: staff logins from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from service.errors import InvalidInput
from service.extensions import db
from service.models import StaffRole
from service.staff import accounts

staff_cli = click.Group("staff", help="Create, list and disable staff logins for /admin.")


def _read_password() -> str:
    """Asked twice at a terminal; otherwise the first line of standard input."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@staff_cli.command("create")
@click.argument("email")
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in StaffRole]),
    help="editor writes lessons; reviewer is a clinician who signs them off; owner manages staff.",
)
@click.option("--name", "display_name", default="", help="The name colleagues see.")
@click.option("--clinician/--not-clinician", default=False, help="May sign off health content.")
@click.option("--credentials", default="", help='Shown on reviewed lessons, e.g. "RMT".')
@with_appcontext
def create_command(
    email: str, role: str, display_name: str, clinician: bool, credentials: str
) -> None:
    """Create a staff login; the password is asked, or read from standard input."""
    password = _read_password()
    try:
        staff = accounts.create(
            db.session(), None, email, password, role, display_name=display_name,
            is_clinician=clinician, credentials=credentials,
        )
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"created {staff.email} ({staff.role})")


@staff_cli.command("list")
@with_appcontext
def list_command() -> None:
    """Every staff login: address, role, clinician, active, last login."""
    from sqlalchemy import select

    from service.models import Staff

    rows = db.session.scalars(select(Staff).order_by(Staff.email)).all()
    if not rows:
        click.echo("no staff yet: flask --app wsgi staff create EMAIL --role owner")
        return
    for staff in rows:
        flags = ", ".join(
            flag for flag, on in (("clinician", staff.is_clinician), ("disabled", not staff.active))
            if on
        )
        last = staff.last_login_at.isoformat(timespec="minutes") if staff.last_login_at else "never"
        click.echo(f"{staff.email}\t{staff.role}\t{flags or '-'}\tlast login {last}")


@staff_cli.command("disable")
@click.argument("email")
@with_appcontext
def disable_command(email: str) -> None:
    """Stop a login from working and end its sessions (never the last active owner)."""
    staff = accounts.find(db.session(), email)
    if staff is None:
        raise click.ClickException(f"no staff login for {email}")
    try:
        accounts.disable(db.session(), None, staff)
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"disabled {staff.email}")
