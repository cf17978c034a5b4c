"""Settings: every variable has a local default, and operators' spellings are accepted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from service import config


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db:5432/clinic", "postgresql+psycopg://u:p@db:5432/clinic"),
        ("postgresql://u@db/clinic", "postgresql+psycopg://u@db/clinic"),
        ("sqlite:////var/lib/course.db", "sqlite:////var/lib/course.db"),
    ],
)
def test_database_url_accepts_both_postgres_spellings(raw: str, expected: str) -> None:
    assert config.database_url(raw, "/unused") == expected


def test_database_url_defaults_to_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    assert config.database_url(None, str(tmp_path)) == f"sqlite:///{tmp_path}/course.sqlite3"


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = config.secret_key(None, str(tmp_path))
    assert len(first) >= 32
    assert config.secret_key(None, str(tmp_path)) == first
    assert config.secret_key("from-env", str(tmp_path)) == "from-env"


def test_service_starts_with_no_variables_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DATABASE_URL", "SECRET_KEY", "BASE_URL", "SMTP_URL", "MAIL_FROM", "CLINIC_NAME",
                 "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    settings = config.from_environment(str(tmp_path))
    assert settings["BASE_URL"] == "http://127.0.0.1:5000"
    assert settings["SMTP_URL"] is None
    assert "placeholder" in settings["CLINIC_NAME"].lower()
    assert "placeholder" in settings["MAIL_FROM"].lower() or ".invalid" in settings["MAIL_FROM"]


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLINIC_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("CLINIC_NAME=Maple Street Massage\n")
    try:
        assert config.from_environment(str(tmp_path))["CLINIC_NAME"] == "Maple Street Massage"
    finally:
        os.environ.pop("CLINIC_NAME", None)  # load_dotenv wrote it; keep other tests clean


def test_trusted_proxy_address_is_used_for_the_client(tmp_path: Path) -> None:
    from flask import request

    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, TRUSTED_PROXIES=1)

    @app.get("/whoami")
    def whoami() -> str:
        return request.remote_addr or ""

    response = app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.text == "203.0.113.9"


def test_base_url_follows_port_when_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8123")
    assert config.from_environment(str(tmp_path))["BASE_URL"] == "http://127.0.0.1:8123"
    monkeypatch.setenv("BASE_URL", "https://learn.calmhands.example/")
    monkeypatch.setenv("SECRET_KEY", "a-deployed-key")  # on https a key must be given
    assert config.from_environment(str(tmp_path))["BASE_URL"] == "https://learn.calmhands.example"


PLACEHOLDERS = {
    "CLINIC_NAME": "Your Massage Clinic (placeholder name)",
    "MAIL_FROM": "Clinic (placeholder) <hello@clinic.invalid>",
    "CLINIC_BOOKING_URL": "http://localhost/#book-placeholder",
}


@pytest.mark.parametrize(
    ("overrides", "warned"),
    [
        ({}, None),  # every clinic setting real: quiet
        (PLACEHOLDERS, ["CLINIC_NAME", "MAIL_FROM", "CLINIC_BOOKING_URL"]),
        ({"CLINIC_BOOKING_URL": "http://localhost/"}, ["CLINIC_BOOKING_URL"]),  # the signup page
        ({**PLACEHOLDERS, "SMTP_URL": None}, None),  # the dev outbox: placeholders are fine
    ],
)
def test_placeholders_with_real_smtp_warn_loudly_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, overrides: dict[str, object],
    warned: list[str] | None,
) -> None:
    from tests.conftest import make_app

    settings = {"SMTP_URL": "smtp://mail.example:587", **overrides}
    with caplog.at_level("WARNING"):
        make_app(f"sqlite:///{tmp_path / 'w.sqlite3'}", tmp_path, **settings)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    if warned is None:
        assert not [w for w in warnings if "placeholder" in w]
    else:
        [message] = [w for w in warnings if "placeholder" in w]
        assert "real email will be sent" in message and ", ".join(warned) in message
def test_a_test_config_reads_no_environment_and_no_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service import create_app

    monkeypatch.setenv("CLINIC_NAME", "From The Environment")
    monkeypatch.setenv("SMTP_URL", "smtp://mail.example.com")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("MAIL_FROM", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("MAIL_FROM=Dev <dev@laptop.example>\n")

    app = create_app({"SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})

    assert "placeholder" in app.config["CLINIC_NAME"].lower()
    assert app.config["SMTP_URL"] is None and "dev@laptop" not in app.config["MAIL_FROM"]
    assert "MAIL_FROM" not in os.environ  # the .env file was not even loaded
    assert app.instance_path == str(tmp_path / "instance")
    assert not (tmp_path / "elsewhere").exists()


def test_smtp_timeout_is_read_and_typed(tmp_path: Path) -> None:
    settings = config.read({"SMTP_TIMEOUT": "7.5", "SECRET_KEY": "k"}, str(tmp_path))
    assert settings["SMTP_TIMEOUT"] == 7.5
    typed = config.DeliverySettings.from_config(settings)
    assert (typed.smtp_timeout, typed.smtp_connections, typed.send_rate) == (7.5, 1, None)
    assert typed.outbox_dir == str(tmp_path / "outbox")
    assert config.read({"SECRET_KEY": "k"}, str(tmp_path))["SMTP_TIMEOUT"] == 30.0
