"""`flask --app wsgi staff create|list|disable`."""

from __future__ import annotations

from flask import Flask

from tests.web.admin.conftest import PASSWORD, login, staff_row


def test_create_reads_password_from_stdin_and_can_log_in(admin_app: Flask) -> None:
    runner = admin_app.test_cli_runner()
    result = runner.invoke(
        args=["staff", "create", "Owner@Clinic.example", "--role", "owner", "--name", "Olga"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "created owner@clinic.example (owner)" in result.output
    assert login(admin_app.test_client(), "owner@clinic.example").status_code == 302
    listing = runner.invoke(args=["staff", "list"])
    assert "owner@clinic.example\towner" in listing.output


def test_create_refuses_short_password_unknown_role_and_duplicates(admin_app: Flask) -> None:
    runner = admin_app.test_cli_runner()
    short = runner.invoke(args=["staff", "create", "a@clinic.example", "--role", "editor"],
                          input="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    role = runner.invoke(args=["staff", "create", "a@clinic.example", "--role", "boss"],
                         input=PASSWORD + "\n")
    assert role.exit_code != 0
    runner.invoke(args=["staff", "create", "a@clinic.example", "--role", "editor"],
                  input=PASSWORD + "\n")
    again = runner.invoke(args=["staff", "create", "A@clinic.example", "--role", "editor"],
                          input=PASSWORD + "\n")
    assert again.exit_code != 0 and "already has a staff login" in again.output


def test_disable_ends_login_but_never_the_last_owner(admin_app: Flask) -> None:
    runner = admin_app.test_cli_runner()
    for email, role in (("boss@clinic.example", "owner"), ("ed@clinic.example", "editor")):
        runner.invoke(args=["staff", "create", email, "--role", role], input=PASSWORD + "\n")
    client = admin_app.test_client()
    login(client, "ed@clinic.example")
    assert client.get("/admin/").status_code == 200
    assert runner.invoke(args=["staff", "disable", "ed@clinic.example"]).exit_code == 0
    assert client.get("/admin/").status_code == 302  # the open session ended too
    assert login(admin_app.test_client(), "ed@clinic.example").status_code == 200
    last = runner.invoke(args=["staff", "disable", "boss@clinic.example"])
    assert last.exit_code != 0 and "last active owner" in last.output
    assert staff_row(admin_app, "boss@clinic.example").active
