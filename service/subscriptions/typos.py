"""Spotting a likely typo in an address's domain (gmial.con -> gmail.com): pure, no network.

Only the domains of the big mailbox providers are corrected, and only when the typed domain
is one or two edits away from one of them: a guess at every domain would nag people whose
clinic, employer or small provider we have never heard of. The suggestion depends only on
what was typed, never on who is on the list.
"""

from __future__ import annotations

# The providers most patients use (US-first, then the common international ones). Keep it
# short: every entry is a domain someone with a near-miss address is likely to have meant.
PROVIDERS: tuple[str, ...] = (
    "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "hotmail.com", "outlook.com",
    "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "comcast.net",
    "verizon.net", "att.net", "sbcglobal.net", "bellsouth.net", "charter.net", "cox.net",
    "earthlink.net", "protonmail.com", "proton.me", "gmx.com", "mail.com", "zoho.com",
    "yahoo.co.uk", "hotmail.co.uk", "btinternet.com", "yahoo.ca", "rogers.com", "shaw.ca",
    "sympatico.ca", "bigpond.com", "optusnet.com.au", "gmx.de", "web.de", "orange.fr",
    "free.fr", "laposte.net", "libero.it",
)

# Real domains close to a provider's: never "corrected".
OTHER_REAL: frozenset[str] = frozenset({
    "email.com", "gmx.net", "gmx.at", "gmx.ch", "mail.ru", "yandex.ru", "live.ca", "live.co.uk",
    "live.fr", "hotmail.fr", "hotmail.ca", "hotmail.de", "hotmail.it", "yahoo.fr", "yahoo.de",
    "yahoo.it", "yahoo.es", "yahoo.com.au", "outlook.fr", "outlook.de", "att.com", "mac.org",
    "aol.de", "me.org", "msn.ca", "cox.com", "zoho.eu", "proton.ch",
})

# Top-level domains typed instead of .com/.net that are real but almost never meant.
TLD_SLIPS: dict[str, str] = {
    "con": "com", "cpm": "com", "vom": "com", "xom": "com", "comm": "com", "cmo": "com",
    "ocm": "com", "co": "com", "om": "com", "cm": "com", "nte": "net", "ner": "net",
    "bet": "net", "met": "net",
}

MAX_EDITS = 2


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _closest_provider(domain: str) -> str | None:
    best, best_distance, tied = None, MAX_EDITS + 1, False
    for provider in PROVIDERS:
        distance = edit_distance(domain, provider)
        if distance < best_distance:
            best, best_distance, tied = provider, distance, False
        elif distance == best_distance:
            tied = True
    if tied:  # two providers as near as each other: no honest single suggestion
        return None
    # Short domains are near everything: allow two edits only when there is room for them.
    allowed = 1 if len(domain) < 8 else MAX_EDITS
    return best if best is not None and 0 < best_distance <= allowed else None


def _fix_tld(domain: str) -> str:
    name, _, tld = domain.rpartition(".")
    return f"{name}.{TLD_SLIPS[tld]}" if name and tld in TLD_SLIPS else domain


def suggest(address: str) -> str | None:
    """A corrected address when the domain looks like a slip for a big provider's, else None."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return None
    domain = domain.lower()
    if domain in PROVIDERS or domain in OTHER_REAL:
        return None
    fixed = _fix_tld(domain)
    if fixed in PROVIDERS:
        return f"{local}@{fixed}"
    corrected = _closest_provider(domain) or _closest_provider(fixed)
    if corrected is None:
        return None
    return f"{local}@{corrected}"
