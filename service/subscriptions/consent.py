"""The consent texts people agree to, by version: a record names the version it showed.

Never edit a published text in place: add a new version and point CURRENT at it, so every
consent record can still show exactly what that person read (GDPR Art. 7).
"""

from __future__ import annotations

CONSENT_TEXTS: dict[str, str] = {
    "2026-11-1": (
        "Yes, send me the free sciatica email course (one short lesson a day) and, "
        "if I choose it later, the clinic newsletter. I can unsubscribe at any time "
        "with the link in every email."
    ),
    "2026-12-1": (
        "Yes, send me what I chose above: the free sciatica email course (one short lesson "
        "a day, and the clinic newsletter if I choose it later), or only the clinic "
        "newsletter. I can unsubscribe at any time with the link in every email."
    ),
}

CURRENT = "2026-12-1"


def consent_text(version: str) -> str:
    """The text of one consent version; KeyError if we never published it."""
    return CONSENT_TEXTS[version]
