"""What the browser tests check on each page, and the server they point Chromium at.

`needs_chromium` skips a module where Debian's Chromium is missing; `serve(app)` runs an app
on loopback for as long as the `with` lasts; `check_page(page, axe, name)` fails when the
page scrolls sideways at a phone's widths or axe-core finds a serious or critical violation;
`tab_to` and `tab_to_button` move the focus as a keyboard user does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.smtp_server import free_port

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"{CHROMIUM} is missing: install Debian's chromium (make browser) to run browser tests",
)
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (375, 600)


def axe_script() -> str:
    """axe-core's script, which `make test` installs from the npm registry (`make axe`)."""
    assert AXE.is_file(), f"{AXE} is missing: run `make axe` (npm install axe-core)"
    return AXE.read_text()


def local_url() -> str:
    """An address on a free loopback port: an app's BASE_URL, for `serve` to run it at."""
    return f"http://127.0.0.1:{free_port()}"


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """The app served at its BASE_URL (made with `local_url()`), threaded as gunicorn's
    gthread workers are, for as long as the `with` lasts; yields the address."""
    url = app.config["BASE_URL"]
    server = make_server("127.0.0.1", int(url.rsplit(":", 1)[1]), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def serious_violations(page: Any, axe: str) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe)
    # Frames here hold emails, checked on their own; a sandboxed frame runs no script, so
    # axe could not look inside, and would wait for each one to answer before giving up.
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations'], iframes: false});
        return result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ${v.help}: ` +
                      v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
    }""")
    return list(found)


# How far the page is wider than the window: what a person would have to scroll sideways.
# Overflow inside a container that scrolls on its own (a wide table) does not count.
_SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def sideways(page: Any) -> int:
    """How many pixels the page scrolls sideways at its current width (0 when it fits).

    A width that is still too wide half a second later is the page's own, not a layout in
    progress on a busy machine. (No animation-frame wait: with JavaScript off, a frame
    callback never runs and the wait would never end.)
    """
    if int(page.evaluate(_SIDEWAYS)) > 0:
        page.wait_for_timeout(500)
    return int(page.evaluate(_SIDEWAYS))


def check_page(page: Any, axe: str, name: str, axe_widths: tuple[int, ...] = WIDTHS[:1]) -> None:
    """At each width, nothing wider than the window; at `axe_widths`, no serious violation.

    Both checks look at every width before failing, so one run names every problem.
    """
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 740})
        if (wide := sideways(page)) > 0:
            problems.append(f"scrolls sideways by {wide}px at {width}px")
        if width in axe_widths:
            problems += [f"at {width}px: {v}" for v in serious_violations(page, axe)]
    page.set_viewport_size({"width": WIDTHS[0], "height": 740})
    assert problems == [], f"{name}: " + "; ".join(problems)


def tab_to(page: Any, element_id: str, most: int = 40) -> None:
    """Press Tab until the element with this id has the focus, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def tab_to_button(page: Any, name: str, most: int = 40) -> None:
    """Press Tab until the button (or link) showing `name` has the focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.innerText")
        if (focused or "").strip() == name:
            return
    raise AssertionError(f"Tab never reached the {name!r} button")
