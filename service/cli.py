"""Registers every `flask --app wsgi …` command; each area keeps its own."""

from flask import Flask


def init_app(app: Flask) -> None:
    from service.course.cli import lessons_cli
    from service.delivery.cli import dispatch_command, worker_command
    from service.newsletter.cli import newsletter_cli
    from service.staff.cli import staff_cli
    from service.subscriptions.cli import subscribers_cli

    for command in (lessons_cli, dispatch_command, worker_command, subscribers_cli, staff_cli,
                    newsletter_cli):
        app.cli.add_command(command)
