"""Markdown to an HTML fragment and to readable plain text; raw HTML in the input stays text."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

PLACEHOLDERS = {
    "{booking_url}": "CLINIC_BOOKING_URL",
    "{clinic_name}": "CLINIC_NAME",
    "{clinic_phone}": "CLINIC_PHONE",
    "{exercise_card_url}": "EXERCISE_CARD_URL",
}
# Alone on its line, it becomes the layout's booking button (see service/mail/blocks.py).
BOOKING_BUTTON = "{booking_button}"
WIDTH = 72
WORDS_PER_MINUTE = 130  # a slow, careful reader: people in pain, many with low health literacy


def parser() -> MarkdownIt:
    """CommonMark with tables; `html: False` so a lesson or a name cannot add markup."""
    return MarkdownIt("commonmark", {"html": False}).enable("table")


_MD = parser()


def fill_placeholders(body: str, values: Mapping[str, Any]) -> str:
    """Replace the PLACEHOLDERS with settings (a missing value leaves its placeholder)."""
    for placeholder, key in PLACEHOLDERS.items():
        if key in values:
            body = body.replace(placeholder, str(values[key]))
    return body


def to_html(body: str) -> str:
    """The HTML fragment of a Markdown body."""
    return str(_MD.render(body))


def tree(body: str) -> SyntaxTreeNode:
    """The parsed Markdown, for walking (text part, lint)."""
    return SyntaxTreeNode(_MD.parse(body))


def walk(node: SyntaxTreeNode) -> Iterator[SyntaxTreeNode]:
    """Every node under `node`, depth first."""
    for child in node.children:
        yield child
        yield from walk(child)


def inline_text(node: SyntaxTreeNode) -> str:
    """The text of an inline node: links as `label (url)`, pictures as `[Picture: alt]`."""
    parts: list[str] = []
    for child in node.children:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "link":
            label = inline_text(child)
            href = str(child.attrs.get("href", ""))
            parts.append(label if label == href or not href else f"{label} ({href})")
        elif kind == "image":
            alt = inline_text(child)
            parts.append(f"[Picture: {alt}]" if alt else "[Picture]")
        else:  # em, strong, s: the words are what matters in plain text
            parts.append(inline_text(child))
    return "".join(parts)


def wrap(text: str, first: str = "", rest: str = "") -> str:
    """Wrap at 72 columns without breaking URLs; `first`/`rest` indent the lines."""
    lines: list[str] = []
    for index, line in enumerate(text.split("\n")):
        lines.extend(
            textwrap.wrap(
                line, WIDTH, initial_indent=first if index == 0 else rest, subsequent_indent=rest,
                break_long_words=False, break_on_hyphens=False,  # URLs stay whole
            )
            or [rest.rstrip()]
        )
    return "\n".join(lines)


def blocks(nodes: Iterable[SyntaxTreeNode], indent: str = "") -> list[str]:
    """The text of each block node (heading, paragraph, list, …), in order."""
    out: list[str] = []
    for child in nodes:
        kind = child.type
        if kind == "heading":
            title = inline_text(child.children[0]) if child.children else ""
            rule = "=" if child.tag == "h1" else "-"
            out.append(f"{indent}{title}\n{indent}{rule * min(len(title), WIDTH)}")
        elif kind == "paragraph":
            out.append(wrap(inline_text(child.children[0]), indent, indent))
        elif kind in ("bullet_list", "ordered_list"):
            out.append(_list(child, indent))
        elif kind == "blockquote":
            out.extend(blocks(child.children, indent + "> "))
        elif kind in ("fence", "code_block"):
            code = child.content.rstrip().split("\n")
            out.append("\n".join(indent + "    " + line for line in code))
        elif kind == "hr":
            out.append(indent + "-" * 20)
        elif kind == "table":
            rows = [n for n in walk(child) if n.type == "tr"]
            out.append("\n".join(
                indent + " | ".join(inline_text(cell.children[0]) if cell.children else ""
                                    for cell in row.children)
                for row in rows
            ))
    return out


def _list(node: SyntaxTreeNode, indent: str) -> str:
    items: list[str] = []
    start = int(node.attrs.get("start", 1) or 1)
    for number, item in enumerate(node.children, start):
        marker = f"{number}. " if node.type == "ordered_list" else "- "
        inner = "\n".join(blocks(item.children, indent + " " * len(marker)))
        items.append(indent + marker + inner[len(indent) + len(marker):])
    return "\n".join(items)


def to_text(body: str) -> str:
    """Readable plain text of a Markdown body: underlined headings, lists, links as text (url)."""
    return "\n\n".join(blocks(tree(body).children)).strip("\n")


def _words(node: SyntaxTreeNode) -> str:
    parts: list[str] = []
    for child in node.children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type != "image":  # alt text is not read as prose
            parts.append(" " if child.type.endswith("break") else _words(child))
    return "".join(parts)


def plain_words(body: str) -> str:
    """Only the words people read (no URLs, no markup), one sentence per block, for scores."""
    texts = [" ".join(_words(n).split()) for n in walk(tree(body)) if n.type == "inline"]
    return "\n".join(t if t.endswith((".", "!", "?", ":")) else t + "." for t in texts if t)


def reading_minutes(body: str) -> float:
    """Minutes to read the words of a Markdown body at WORDS_PER_MINUTE."""
    return len(plain_words(body).split()) / WORDS_PER_MINUTE
