"""Lesson pictures in an email: `images/NAME.svg` in Markdown -> the PNG the service serves.

Emails cannot show SVG, so the service serves each drawing as PNG at an absolute address;
the email gives its width and height so the text does not jump while it loads.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PICTURE = re.compile(r"^images/([a-z0-9]+(?:-[a-z0-9]+)*)\.svg$")
CONTENT_WIDTH = 552  # the 600 px layout less the card's 24 px padding each side
NUMBER = re.compile(r"^\s*([0-9.]+)\s*(px)?\s*$")


@dataclass(frozen=True)
class Picture:
    """What an <img> needs: absolute URL and display size in CSS pixels."""

    url: str
    width: int
    height: int | None  # None when the drawing's proportions are unknown


def png_url(name: str, base_url: str) -> str:
    """The absolute address of a drawing's PNG (the route GET /course/images/<name>.png)."""
    return f"{base_url.rstrip('/')}/course/images/{name}.png"


@lru_cache(maxsize=64)
def svg_size(path: Path, mtime: float) -> tuple[float, float] | None:
    """(width, height) of an SVG from its viewBox or width/height; None if unreadable."""
    del mtime  # part of the cache key only: an edited drawing is read again
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    box = root.get("viewBox", "").replace(",", " ").split()
    if len(box) == 4:
        try:
            width, height = float(box[2]), float(box[3])
        except ValueError:
            width = height = 0.0
        if width > 0 and height > 0:
            return width, height
    sizes = [NUMBER.match(root.get(key, "")) for key in ("width", "height")]
    if all(sizes):
        return float(sizes[0].group(1)), float(sizes[1].group(1))  # type: ignore[union-attr]
    return None


def resolve(src: str, base_url: str, images_dir: Path) -> Picture | None:
    """The Picture for a lesson's `images/NAME.svg`, or None for any other address."""
    match = PICTURE.match(src)
    if match is None:
        return None
    name = match.group(1)
    path = images_dir / f"{name}.svg"
    size = svg_size(path, path.stat().st_mtime) if path.is_file() else None
    if size is None:
        return Picture(png_url(name, base_url), CONTENT_WIDTH, None)
    width = min(CONTENT_WIDTH, round(size[0]))
    return Picture(png_url(name, base_url), width, round(width * size[1] / size[0]))
