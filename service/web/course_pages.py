"""The course's public pages: the drawings as PNG and the printable home exercise card."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
import frontmatter
from flask import Blueprint, Flask, Response, abort, current_app, render_template, send_file
from markdown_it.token import Token
from markupsafe import Markup

from service.course import images
from service.mail.markdown import parser

bp = Blueprint("course_pages", __name__, cli_group="drawings")

LESSONS_DIR = Path(__file__).resolve().parents[2] / "lessons"
CARD_FILE = "exercise-card.md"
PNG_MAX_AGE = 30 * 24 * 3600  # a month: drawings rarely change, and the ETag catches it
DEFAULT_TITLE = "Your home exercise card"


@dataclass(frozen=True)
class Card:
    """The exercise card, ready for the page: its title, its HTML, and whether that has an h1."""

    title: str
    body: Markup
    has_heading: bool


def lessons_dir(app: Flask) -> Path:
    """Where the course files live (LESSONS_DIR setting, else the repository's lessons/)."""
    return Path(app.config.get("LESSONS_DIR") or LESSONS_DIR)


def _cache_dir(app: Flask) -> Path:
    return Path(app.instance_path) / "drawings"


@bp.get("/course/images/<name>.png")
def drawing_png(name: str) -> Response:
    """A drawing as PNG, converted once per version and then served from the cache."""
    source = lessons_dir(current_app) / "images"
    try:
        if images.stem_of(name) != name:  # a bare name only: no suffix, no folder
            raise images.UnknownDrawing(name)
        path = images.png_path(name, source, _cache_dir(current_app))
    except images.UnknownDrawing:
        abort(404, description="There is no drawing with that name.")
    except images.ConverterMissing:
        current_app.logger.exception("drawing %s cannot be converted to PNG", name)
        abort(503, description="This picture is not available right now. The text says the same.")
    response = send_file(path, mimetype="image/png", etag=path.stem, max_age=PNG_MAX_AGE)
    response.cache_control.public = True
    return response


@bp.app_template_filter("tel")
def tel(phone: str) -> str:
    """A phone number as a `tel:` target: digits and a leading +, nothing else."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return ("+" if phone.strip().startswith("+") else "") + digits


def _values(app: Flask) -> dict[str, str]:
    return {
        "{clinic_name}": app.config["CLINIC_NAME"],
        "{clinic_phone}": app.config["CLINIC_PHONE"],
        "{booking_url}": app.config["CLINIC_BOOKING_URL"],
        "{booking_button}": f"[Book a visit]({app.config['CLINIC_BOOKING_URL']})",
    }


def _point_images(tokens: list[Token], source: Path) -> None:
    """`images/NAME.svg` -> our PNG route with its size; an unknown picture keeps its alt text."""
    for token in tokens:
        if token.children:
            _point_images(token.children, source)
        if token.type != "image":
            continue
        try:
            item = images.drawing(str(token.attrGet("src") or ""), source)
        except images.UnknownDrawing:
            token.type, token.tag, token.attrs = "text", "", {}
            token.content = f"[{token.content}]" if token.content else ""
            token.children = None
            continue
        token.attrSet("src", f"/course/images/{item.stem}.png")
        token.attrSet("width", str(item.width))
        token.attrSet("height", str(item.height))


def _page_heading(tokens: list[Token], promote: bool) -> str | None:
    """The card's h1 text; with `promote`, a card that opens with a heading gets it as h1."""
    opens = [i for i, t in enumerate(tokens) if t.type == "heading_open"]
    first = next((i for i in opens if tokens[i].tag == "h1"), None)
    if first is None and promote and opens and opens[0] == 0:
        first = 0
    if first is None:
        return None
    closing = next(i for i in range(first, len(tokens)) if tokens[i].type == "heading_close")
    tokens[first].tag = tokens[closing].tag = "h1"
    return tokens[first + 1].content.strip() or None


def load_card(app: Flask) -> Card | None:
    """The card from lessons/exercise-card.md, as HTML (raw HTML in it stays text)."""
    path = lessons_dir(app) / CARD_FILE
    if not path.is_file():
        return None
    post = frontmatter.loads(path.read_text(encoding="utf-8"))
    body = post.content
    for placeholder, value in _values(app).items():
        body = body.replace(placeholder, value)
    md = parser()
    tokens = md.parse(body)
    _point_images(tokens, lessons_dir(app) / "images")
    named = str(post.metadata.get("title") or "").strip()
    heading = _page_heading(tokens, promote=not named)
    title = named or heading or DEFAULT_TITLE
    html = md.renderer.render(tokens, md.options, {})
    # markdown-it runs with html off, so the Markdown's own text is escaped: safe to mark.
    return Card(title=title, body=Markup(html), has_heading=heading is not None)


@bp.get("/course/exercises")
def exercise_card() -> str:
    """The printable home exercise card, with the drawings and the clinic's phone."""
    card = load_card(current_app)
    if card is None:
        abort(404, description="The home exercise card is not ready yet. "
                               "Please ask the clinic for a printed copy.")
    return render_template("course/exercises.html", card=card)


@bp.cli.command("build")
def build_command() -> None:
    """Convert every drawing to PNG now, so no visitor waits for a conversion."""
    paths = images.build_all(lessons_dir(current_app) / "images", _cache_dir(current_app))
    click.echo(f"{len(paths)} drawings ready in {_cache_dir(current_app)}")
