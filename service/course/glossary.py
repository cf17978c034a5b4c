"""The glossary rule: where a medical term first appears in the course, it is bold and defined.

Reading the lessons in order, the first use of each term (or one of its other spellings) in
the text (headings and picture descriptions aside) must be `**term**` followed by a definition
connector: ` (`, ` is `, ` are `, ` means `, `, ` or ` — `. Pure: takes parsed text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from markdown_it.tree import SyntaxTreeNode

from service.course.problems import Problem
from service.mail import markdown

RULE = "glossary"
FILE = "glossary.yml"
CONNECTORS = (" (", " is ", " are ", " means ", ", ", " — ")
# The course must keep defining these; a glossary without one of them fails.
REQUIRED = (
    "sciatica", "sciatic nerve", "nerve root", "disc", "herniated disc", "spinal stenosis",
    "spondylolisthesis", "piriformis", "cauda equina syndrome", "spinal manipulation",
    "acupuncture", "TENS", "physical therapist", "NSAIDs", "MRI", "core", "trigger point",
    "myofascial release", "nerve glide", "pelvic girdle pain", "blood clot",
    "epidural steroid injection",
)


@dataclass(frozen=True)
class Term:
    """A glossary term and every spelling that counts as it."""

    name: str
    spellings: tuple[str, ...]

    def pattern(self) -> re.Pattern[str]:
        """Whole words; acronyms (two capitals or more) match their case only."""
        parts = []
        for spelling in sorted(self.spellings, key=len, reverse=True):
            flags = "" if sum(c.isupper() for c in spelling) >= 2 else "(?i:"
            body = re.escape(spelling)
            parts.append(f"{flags}{body})" if flags else body)
        return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


class GlossaryError(ValueError):
    """glossary.yml is missing or not a mapping of term -> list of spellings."""


def load(directory: str | Path) -> list[Term]:
    """The terms of `directory`/glossary.yml; raise GlossaryError saying what is wrong."""
    path = Path(directory) / FILE
    if not path.is_file():
        raise GlossaryError(f"{FILE} is missing: the glossary rule needs it")
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise GlossaryError(f"{FILE} is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise GlossaryError(f"{FILE} must map each term to a list of other spellings")
    terms = []
    for name, others in data.items():
        others = others or []
        if not isinstance(name, str) or not isinstance(others, list) or not all(
            isinstance(o, str) and o.strip() for o in others
        ):
            raise GlossaryError(f"{FILE}: {name!r} must map to a list of other spellings")
        terms.append(Term(name, (name, *others)))
    missing = [t for t in REQUIRED if t not in data]
    if missing:
        raise GlossaryError(f"{FILE} lacks required terms: {', '.join(missing)}")
    return terms


@dataclass(frozen=True)
class Passage:
    """The running text of one paragraph or list item, with where its bold spans are."""

    text: str
    bold: tuple[tuple[int, int], ...]


def _flatten(node: SyntaxTreeNode, out: list[str], bold: list[tuple[int, int]]) -> None:
    for child in node.children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "strong":
            start = sum(len(p) for p in out)
            _flatten(child, out, bold)
            bold.append((start, sum(len(p) for p in out)))
        elif child.type != "image":  # a picture's description is not the text
            _flatten(child, out, bold)


def passages(body: str) -> Iterator[Passage]:
    """Each paragraph or list item of a Markdown body, in reading order; headings left out."""
    for node in markdown.walk(markdown.tree(body)):
        if node.type == "inline" and node.parent is not None and node.parent.type != "heading":
            out: list[str] = []
            bold: list[tuple[int, int]] = []
            _flatten(node, out, bold)
            yield Passage("".join(out), tuple(bold))


def _snippet(text: str, start: int, end: int) -> str:
    left = text[max(0, start - 40):start]
    return ("…" if start > 40 else "") + left + text[start:end] + text[end:end + 40] + "…"


def first_use_problem(term: Term, passage: Passage, start: int, end: int,
                      where: str) -> Problem | None:
    """None when the first use at text[start:end] is bold and defined; else what is wrong."""
    used = passage.text[start:end]
    span = next(((a, b) for a, b in passage.bold if a <= start and end <= b), None)
    context = _snippet(passage.text, start, end)
    if span is None or passage.text[span[0]:span[1]].strip().lower() != used.lower():
        return Problem(RULE, f"{where}: the first use of {term.name!r} in the course is not "
                       f"in bold on its own: \u201c{context}\u201d. Write **{used}** and "
                       "define it in the same sentence.", (used,))
    after = passage.text[span[1]:]
    if not after.startswith(CONNECTORS):
        return Problem(RULE, f"{where}: **{used}** is the first use of {term.name!r} but is "
                       f"not followed by a definition: \u201c{context}\u201d. Follow it with "
                       "\u201c (\u201d, \u201c is \u201d, \u201c are \u201d, \u201c means \u201d,"
                       " \u201c, \u201d or \u201c — \u201d and the meaning.", (used,))
    return None


def glossary_problems(terms: Iterable[Term],
                      lessons: list[tuple[str, str]]) -> dict[str, list[Problem]]:
    """Problems by lesson key; `lessons` is (key, Markdown body) in course order."""
    problems: dict[str, list[Problem]] = {}
    texts = [(key, list(passages(body))) for key, body in lessons]
    for term in terms:
        pattern = term.pattern()
        for key, items in texts:
            hit = next(((p, m) for p in items if (m := pattern.search(p.text))), None)
            if hit is None:
                continue
            passage, match = hit
            problem = first_use_problem(term, passage, match.start(), match.end(), key)
            if problem:
                problems.setdefault(key, []).append(problem)
            break
    return problems
