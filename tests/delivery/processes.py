"""Running `flask --app wsgi dispatch` in its own process, as the operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def command_env(database: str, smtp_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment a deployed process would have: settings only from variables."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database.replace("postgresql+psycopg://", "postgresql://"),
        "SMTP_URL": smtp_url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key",
        "BASE_URL": "http://localhost",
        "MAIL_FROM": "Calm Hands Massage <hello@calmhands.example>",
        "CLINIC_NAME": "Calm Hands Massage",
        "DOTENV_PATH": str(instance / "no.env"),
        **extra,
    })
    return env


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start `python -m flask --app wsgi <args>` from the project folder."""
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def dispatch(now: datetime, env: dict[str, str]) -> subprocess.Popen[str]:
    return start(["dispatch", "--now", now.isoformat()], env)
