"""The consent texts people agree to, by version: a record names the version it showed.

Never edit a published text in place: add a new version and point CURRENT at it, so every
consent record can still show exactly what that person read (GDPR Art. 7).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

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


def consent_page(origin: str | None, referrer: str | None) -> str:
    """The page a signup came from, for its consent record: no query string, no fragment.

    A query string can carry a campaign id or someone's address; the record needs the page.
    """
    raw = (referrer or origin or "").strip()
    page = urlsplit(raw)
    if page.scheme not in ("http", "https") or not page.netloc:
        return ""
    return urlunsplit((page.scheme, page.netloc, page.path, "", ""))[:300]
