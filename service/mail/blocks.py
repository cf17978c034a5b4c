"""The course's Markdown conventions in an email, in HTML and in the text part.

`## Key points` + its list -> a shaded box (HTML) / a marked block (text); `{booking_button}`
alone on a line -> a large button / "Book a visit: URL"; `images/NAME.svg` -> the PNG the
service serves, with width, height and alt / the alt text in brackets.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from service.mail import markdown
from service.mail.pictures import Picture

KEY_POINTS = "Key points"
BOOKING_LABEL = "Book a visit"
RULE = "=" * markdown.WIDTH
GREEN = "#1b5e4f"
SHADE = "#eaf3ef"
BUTTON = (
    '<table role="presentation" class="button booking" cellpadding="0" cellspacing="0" '
    'border="0" style="margin:6px 0 22px;border-collapse:separate"><tr>'
    f'<td bgcolor="{GREEN}" style="background-color:{GREEN};border-radius:8px">'
    '<a href="{url}" style="display:inline-block;padding:16px 32px;font-size:19px;'
    'font-weight:bold;line-height:1.3;color:#ffffff;text-decoration:none;border-radius:8px">'
    "{label}</a></td></tr></table>\n"
)
BOX_OPEN = (
    '<table role="presentation" class="key-points" width="100%" cellpadding="0" '
    'cellspacing="0" border="0" style="margin:10px 0 24px;border-collapse:separate"><tr>'
    f'<td bgcolor="{SHADE}" style="background-color:{SHADE};border-left:5px solid {GREEN};'
    'border-radius:6px;padding:2px 20px 4px">\n'
)
BOX_CLOSE = "</td></tr></table>\n"
IMG = (
    '<img src="{url}" alt="{alt}" width="{width}"{height} style="display:block;width:100%;'
    'max-width:{width}px;height:auto;border:0;margin:4px auto 10px">'
)


@dataclass(frozen=True)
class Extras:
    """What the conventions need from the settings."""

    booking_url: str
    picture: Callable[[str], Picture | None]  # `images/NAME.svg` -> Picture, else None


def _is_key_points(tokens: Sequence[Token], index: int) -> bool:
    token = tokens[index]
    return (token.type == "heading_open" and token.tag == "h2"
            and tokens[index + 1].content.strip() == KEY_POINTS)


def _is_button(tokens: Sequence[Token], index: int) -> bool:
    return (tokens[index].type == "paragraph_open" and index + 2 < len(tokens)
            and tokens[index + 1].content.strip() == markdown.BOOKING_BUTTON
            and tokens[index + 2].type == "paragraph_close")


def _html_block(content: str) -> Token:
    token = Token("html_block", "", 0)
    token.content = content
    return token


def _transform(tokens: list[Token], extras: Extras) -> list[Token]:
    out: list[Token] = []
    in_box = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        ends_box = token.type == "heading_open" and token.tag in ("h1", "h2")
        if in_box and ends_box:
            out.append(_html_block(BOX_CLOSE))
            in_box = False
        if _is_key_points(tokens, index):
            out.append(_html_block(BOX_OPEN))
            token.attrSet("style", "margin:16px 0 8px")
            in_box = True
        if _is_button(tokens, index):
            url = html.escape(extras.booking_url, quote=True)
            out.append(_html_block(BUTTON.format(url=url, label=BOOKING_LABEL)))
            index += 3
            continue
        out.append(token)
        index += 1
    if in_box:
        out.append(_html_block(BOX_CLOSE))
    return out


def _image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    picture = env["extras"].picture(src) if "extras" in env else None
    if picture is None:
        return f'<img src="{html.escape(src, quote=True)}" alt="{html.escape(alt, quote=True)}">'
    height = f' height="{picture.height}"' if picture.height else ""
    return IMG.format(url=html.escape(picture.url, quote=True),
                      alt=html.escape(alt, quote=True), width=picture.width, height=height)


_MD = markdown.parser()
_MD.add_render_rule("image", _image)


def to_html(body: str, extras: Extras) -> str:
    """The HTML fragment of a lesson body, with its box, button and pictures."""
    env: dict[str, Any] = {"extras": extras}
    tokens = _transform(_MD.parse(body, env), extras)
    return str(_MD.renderer.render(tokens, _MD.options, env))


def _section_end(nodes: Sequence[SyntaxTreeNode], start: int) -> int:
    for index in range(start + 1, len(nodes)):
        if nodes[index].type == "heading" and nodes[index].tag in ("h1", "h2"):
            return index
    return len(nodes)


def to_text(body: str, extras: Extras) -> str:
    """The text part of a lesson body: key points between rules, the button as its URL."""
    nodes = list(markdown.tree(body).children)
    out: list[str] = []
    index = 0
    while index < len(nodes):
        node = nodes[index]
        title = markdown.inline_text(node.children[0]).strip() if node.children else ""
        if node.type == "heading" and node.tag == "h2" and title == KEY_POINTS:
            end = _section_end(nodes, index)
            inner = "\n\n".join(markdown.blocks(nodes[index + 1:end]))
            out.append(f"{RULE}\n{KEY_POINTS.upper()}\n\n{inner}\n{RULE}")
            index = end
            continue
        if node.type == "paragraph" and title == markdown.BOOKING_BUTTON:
            out.append(f"{BOOKING_LABEL}: {extras.booking_url}")
        else:
            out.extend(markdown.blocks([node]))
        index += 1
    return "\n\n".join(out).strip("\n")
