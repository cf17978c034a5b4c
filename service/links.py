"""The public links every email carries, built from BASE_URL and a signed token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service import tokens


def _link(config: Mapping[str, Any], path: str, purpose: str, public_id: str, epoch: int,
          consent_id: int | None = None) -> str:
    token = tokens.make_token(config["SECRET_KEY"], purpose, public_id, epoch, consent_id)
    return f"{config['BASE_URL']}/{path}/{token}"


def confirm_url(config: Mapping[str, Any], public_id: str, epoch: int = 0,
                consent_id: int | None = None) -> str:
    """The double opt-in link for one signup (its consent record); expires after 7 days."""
    return _link(config, "confirm", tokens.CONFIRM, public_id, epoch, consent_id)


def unsubscribe_url(config: Mapping[str, Any], public_id: str, epoch: int = 0) -> str:
    """The one-click unsubscribe address (List-Unsubscribe) and the footer link."""
    return _link(config, "unsubscribe", tokens.UNSUBSCRIBE, public_id, epoch)


def preferences_url(config: Mapping[str, Any], public_id: str, epoch: int = 0) -> str:
    """The preferences page of one subscriber."""
    return _link(config, "preferences", tokens.PREFERENCES, public_id, epoch)


def newsletter_unsubscribe_url(config: Mapping[str, Any], public_id: str, epoch: int = 0) -> str:
    """A newsletter's List-Unsubscribe and footer link: it stops the newsletter only."""
    return _link(config, "unsubscribe/newsletter", tokens.UNSUBSCRIBE_NEWSLETTER, public_id,
                 epoch)


def archive_url(config: Mapping[str, Any], slug: str) -> str:
    """An issue's public page in the archive ("read it in your browser"): nothing personal."""
    return f"{config['BASE_URL']}/newsletter/{slug}"
