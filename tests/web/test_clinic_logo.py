"""The optional clinic logo: from CLINIC_LOGO_URL, or a file in the instance folder that the
service serves itself (and nothing else from that folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import config
from service.mail.compose import confirmation_content
from service.mail.render import ClinicSettings, render
from tests.conftest import make_app

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'logo.sqlite3'}"


def header(config: dict[str, object]) -> str:
    settings = ClinicSettings.from_config(config)
    return render(confirmation_content(settings.name), settings).html.split("MAILSLOT-greeting")[0]


def test_without_a_logo_the_header_is_the_name_only(tmp_path: Path) -> None:
    app = make_app(database(tmp_path), tmp_path)
    assert app.config["CLINIC_LOGO_URL"] == ""
    assert "<img" not in header(app.config)
    assert app.test_client().get("/clinic/logo.png").status_code == 404


def test_a_logo_in_the_instance_folder_is_served_and_shown(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "logo.png").write_bytes(PNG)
    app = make_app(database(tmp_path), tmp_path)
    assert app.config["CLINIC_LOGO_URL"] == "/clinic/logo.png"
    response = app.test_client().get("/clinic/logo.png")
    assert response.status_code == 200 and response.data == PNG
    assert response.mimetype == "image/png" and "max-age=86400" in response.headers["Cache-Control"]
    response.close()
    top = header(app.config)
    assert '<img src="http://localhost/clinic/logo.png" alt="" height="40"' in top
    assert "Calm Hands Massage" in top  # the name beside it, for blocked pictures


@pytest.mark.parametrize("name", ["secret_key", "course.sqlite3", "..%2Fsecret_key", "logo.gif"])
def test_nothing_else_in_the_instance_folder_is_served(tmp_path: Path, name: str) -> None:
    app = make_app(database(tmp_path), tmp_path)
    assert app.test_client().get(f"/clinic/{name}").status_code == 404


def test_clinic_logo_url_is_used_as_given(tmp_path: Path) -> None:
    app = make_app(database(tmp_path), tmp_path,
                   CLINIC_LOGO_URL="https://calmhands.example/logo.png")
    assert '<img src="https://calmhands.example/logo.png"' in header(app.config)


def test_a_clinic_logo_url_that_is_not_absolute_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_LOGO_URL", "logo.png")
    monkeypatch.chdir(tmp_path)  # no developer's .env
    with pytest.raises(ValueError, match="CLINIC_LOGO_URL must be an absolute http"):
        config.from_environment(str(tmp_path))
