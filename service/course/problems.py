"""What `lessons check` finds: one Problem per finding, with the words a panel can highlight."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding: the rule that made it, a message for staff, and the offending words."""

    rule: str  # e.g. "emergency-signs", "grade", "glossary": stable, for filtering
    message: str  # a full sentence staff can act on
    words: tuple[str, ...] = ()  # exact text from the lesson, for highlighting

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (for the admin's readability panel)."""
        return {"rule": self.rule, "message": self.message, "words": list(self.words)}
