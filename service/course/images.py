"""The course drawings: SVG sources in lessons/images/, PNG copies (for email) made once per
version of each drawing and kept in a cache folder keyed by the SVG's content hash."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SCALE = 2  # PNGs at twice the drawing's CSS size, sharp on phone screens
_STEM = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SVG_NS = "{http://www.w3.org/2000/svg}"


class UnknownDrawing(LookupError):
    """No drawing has that name (or the name is not a plain drawing name)."""


class ConverterMissing(RuntimeError):
    """cairosvg cannot load Cairo (Debian's libcairo2): drawings cannot become PNG here."""


@dataclass(frozen=True)
class Drawing:
    """One drawing: its name, source, CSS size in pixels and the hash of its content."""

    stem: str
    source: Path
    width: int
    height: int
    digest: str

    @property
    def png_name(self) -> str:
        return f"{self.stem}-{self.digest}.png"


def stem_of(name: str) -> str:
    """`sciatic-nerve`, from `sciatic-nerve`, `sciatic-nerve.svg` or `images/sciatic-nerve.svg`."""
    path = PurePosixPath(name)
    stem = path.stem if path.suffix in (".svg", ".png") else path.name
    if not _STEM.fullmatch(stem):
        raise UnknownDrawing(name)
    return stem


def png_url(name: str, base_url: str) -> str:
    """The absolute address the service serves a drawing's PNG at (for emails)."""
    return f"{base_url.rstrip('/')}/course/images/{stem_of(name)}.png"


def names(source_dir: Path) -> list[str]:
    """The stems of every drawing in `source_dir`, sorted."""
    if not source_dir.is_dir():
        return []
    return sorted(p.stem for p in source_dir.glob("*.svg") if _STEM.fullmatch(p.stem))


def _size(svg: bytes) -> tuple[int, int]:
    """CSS size of a drawing: its width and height, else its viewBox; ValueError if neither."""
    root = ElementTree.fromstring(svg)
    if root.tag != f"{_SVG_NS}svg":
        raise ValueError("not an SVG document")
    if "width" in root.attrib and "height" in root.attrib:
        width, height = float(root.attrib["width"]), float(root.attrib["height"])
    else:
        width, height = (float(n) for n in root.attrib["viewBox"].replace(",", " ").split()[2:])
    if width <= 0 or height <= 0:
        raise ValueError("an SVG without a size")
    return round(width), round(height)


def drawing(name: str, source_dir: Path) -> Drawing:
    """The drawing called `name` in `source_dir`; UnknownDrawing if there is none."""
    stem = stem_of(name)
    source = source_dir / f"{stem}.svg"
    if stem not in names(source_dir):  # only the folder's own files, never a path
        raise UnknownDrawing(name)
    svg = source.read_bytes()
    try:
        width, height = _size(svg)
    except (ElementTree.ParseError, KeyError, ValueError) as error:
        # A broken source is not a drawing we can show: the same answer as a missing one.
        raise UnknownDrawing(f"{name}: not a usable SVG ({error})") from error
    digest = hashlib.sha256(svg).hexdigest()[:16]
    return Drawing(stem, source, width, height, digest)


def render_png(svg: bytes) -> bytes:
    """Rasterise an SVG at SCALE times its size; external files and entities stay off."""
    try:
        import cairosvg  # loads libcairo: imported here so the service starts without it
    except (ImportError, OSError) as error:  # cairocffi raises OSError without libcairo
        raise ConverterMissing(f"install Debian's libcairo2 ({error})") from error
    png: bytes = cairosvg.svg2png(bytestring=svg, scale=SCALE, unsafe=False)
    return png


def png_path(name: str, source_dir: Path, cache_dir: Path) -> Path:
    """The cached PNG of a drawing, converting it first if this version was never converted."""
    item = drawing(name, source_dir)
    target = cache_dir / item.png_name
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    png = render_png(item.source.read_bytes())
    # Write beside the target, then rename: another worker never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=cache_dir, prefix=f".{item.stem}-", suffix=".png")
    with os.fdopen(handle, "wb") as out:
        out.write(png)
    os.replace(temporary, target)
    for old in cache_dir.glob(f"{item.stem}-*.png"):  # earlier versions of this drawing
        if old != target and old.stem.removeprefix(f"{item.stem}-").isalnum():
            old.unlink(missing_ok=True)
    return target


def build_all(source_dir: Path, cache_dir: Path) -> list[Path]:
    """Convert every drawing that has no PNG yet; the PNGs of all drawings."""
    return [png_path(stem, source_dir, cache_dir) for stem in names(source_dir)]
