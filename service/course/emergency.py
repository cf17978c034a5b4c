"""The emergency-signs rule: a text that lists signs of cauda equina syndrome lists all of them.

A partial list is dangerous: a reader takes the missing signs to be safe to wait on. Pure.
"""

from __future__ import annotations

import re

from service.course.problems import Problem

RULE = "emergency-signs"
# Any of these means the text is listing emergency signs.
TRIGGERS = (
    "bladder or bowels",
    "erection",
    "between your legs",
    "pee at all",
    "need to pee or poo",
    "cauda equina",
)
# (the sign, in words staff recognise; the patterns that must all match)
SIGNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("numbness between the legs, genitals or back passage", (r"between your legs",)),
    ("wiping feels different", (r"wip(e|ing)",)),
    ("new trouble peeing, or controlling your bladder or bowels",
     (r"trouble peeing", r"bladder or bowels")),
    ("not feeling when you need to pee or poo", (r"need to pee or poo",)),
    ("unable to pee at all", (r"pee at all",)),
    ("new problems getting or keeping an erection, or numb genitals", (r"erection",)),
    ("weakness in both legs", (r"both legs",)),
    ("a leg getting weaker fast", (r"weaker fast",)),
    ("what to do: call 911 or go to the emergency room", (r"call 911", r"emergency room")),
)


def triggers_in(text: str) -> list[str]:
    """The trigger phrases a text contains, as written in it."""
    found = []
    for trigger in TRIGGERS:
        match = re.search(re.escape(trigger), text, re.IGNORECASE)
        if match:
            found.append(match.group(0))
    return found


def missing_signs(text: str) -> list[str]:
    """The signs (in words) whose patterns do not all match `text`."""
    return [
        sign for sign, patterns in SIGNS
        if not all(re.search(pattern, text, re.IGNORECASE) for pattern in patterns)
    ]


def emergency_problems(text: str, where: str, required: bool = False) -> list[Problem]:
    """No problem if `text` lists every sign, or (unless `required`) names none of them."""
    found = triggers_in(text)
    if not found and not required:
        return []
    missing = missing_signs(text)
    if not missing:
        return []
    mentions = f"it mentions {', '.join(repr(w) for w in found)}" if found else "it names none"
    return [Problem(
        RULE,
        f"{where} must list every emergency sign ({mentions}) but leaves out: "
        f"{'; '.join(missing)}. Give the whole list, or point to it (\u201cthe emergency "
        "signs in lesson 1 and at the bottom of every email\u201d) without naming any.",
        tuple(found),
    )]
