"""SECRET_KEY: required outside local development, and rotatable without breaking mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from service import config, links, tokens
from service.errors import InvalidToken
from service.extensions import db
from service.models import Suppression, utcnow
from service.subscriptions.suppression import address_hash, is_suppressed
from tests.conftest import make_app


@pytest.mark.parametrize("deployed", [
    {"DATABASE_URL": "postgresql://clinic@db/clinic"},
    {"DATABASE_URL": "postgres://clinic@db/clinic"},
    {"SMTP_URL": "smtp://mail.example:587"},
    {"BASE_URL": "https://learn.calmhands.example"},
])
def test_a_deployed_process_refuses_to_start_without_secret_key(
    deployed: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(config.MissingSecretKey) as refused:
        config.read(deployed, str(tmp_path))
    assert "secrets.token_urlsafe(48)" in str(refused.value)
    assert not (tmp_path / "secret_key").exists()  # nothing made up behind the operator's back


def test_local_development_still_gets_a_generated_key(tmp_path: Path) -> None:
    settings = config.read({"BASE_URL": "http://127.0.0.1:5000"}, str(tmp_path))
    assert settings["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()


def test_links_signed_with_an_old_key_still_work_after_rotation(tmp_path: Path) -> None:
    old = config.read({"SECRET_KEY": "old-key"}, str(tmp_path))
    mailed = links.unsubscribe_url({**old, "BASE_URL": ""}, "a" * 32).rsplit("/", 1)[1]
    rotated = config.read({"SECRET_KEY": "new-key", "SECRET_KEY_FALLBACKS": "older, old-key"},
                          str(tmp_path))
    keys = config.signing_keys(rotated)
    assert keys == ["new-key", "older", "old-key"]
    assert tokens.read_token(keys, tokens.UNSUBSCRIBE, mailed) == "a" * 32
    # New links are signed with the new key: without the fallbacks they still verify.
    fresh = links.unsubscribe_url({**rotated, "BASE_URL": ""}, "b" * 32).rsplit("/", 1)[1]
    assert tokens.read_token("new-key", tokens.UNSUBSCRIBE, fresh) == "b" * 32
    with pytest.raises(InvalidToken):
        tokens.read_token("new-key", tokens.UNSUBSCRIBE, mailed)


def test_a_suppression_survives_key_rotation(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path,
                   SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"])
    with app.app_context():
        session = db.session()
        session.add(Suppression(address_hash=address_hash("old-key", "gone@example.com"),
                                reason="550 5.1.1", created_at=utcnow()))
        session.commit()
        assert is_suppressed(session, config.signing_keys(app.config), "gone@example.com")
        session.commit()
        # Carried over under the current key: retiring the old key keeps this suppression.
        assert is_suppressed(session, "new-key", "gone@example.com")
        assert len(list(session.scalars(select(Suppression)))) == 2
