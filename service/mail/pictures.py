"""Lesson pictures in an email: `images/NAME.svg` in Markdown -> the PNG the service serves.

Emails cannot show SVG, so the service serves each drawing as PNG at an absolute address
(service.course.images); the email gives its width and height so the text does not jump while
it loads, and the picture shrinks to fit a phone.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from service.course.images import UnknownDrawing, drawing, png_url

PICTURE = re.compile(r"^images/([a-z0-9]+(?:-[a-z0-9]+)*)\.svg$")
CONTENT_WIDTH = 552  # the 600 px layout less the card's 24 px padding each side


@dataclass(frozen=True)
class Picture:
    """What an <img> needs: absolute URL and display size in CSS pixels."""

    url: str
    width: int
    height: int | None  # None when the drawing's size is unknown


def resolve(src: str, base_url: str, images_dir: Path) -> Picture | None:
    """The Picture for a lesson's `images/NAME.svg`, or None for any other address."""
    match = PICTURE.match(src)
    if match is None:
        return None
    name = match.group(1)
    url = png_url(name, base_url)
    try:
        found = drawing(name, images_dir)
    except (UnknownDrawing, ValueError, KeyError, ElementTree.ParseError):
        return Picture(url, CONTENT_WIDTH, None)  # `lessons check` reports the missing file
    width = min(CONTENT_WIDTH, found.width)
    return Picture(url, width, round(width * found.height / found.width))
