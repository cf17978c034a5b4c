"""The course drawings as PNG (converted once, cached, only by name) and the printable home
exercise card, through the test client and in a real browser (Debian's Chromium) at 375 px."""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from service.course import images
from service.extensions import db
from tests.conftest import make_app
from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
SCREENSHOTS = ROOT / "test-artifacts" / "pages"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DRAWINGS = ["cat-cow", "figure-four", "knee-to-chest", "nerve-glide", "sciatic-nerve",
            "sleeping-positions"]
OUTLINE = (0x2D, 0x3A, 0x45)  # the drawings' line colour
CARD = """---
title: Home exercises
---
## Before you start

Call {clinic_name} on {clinic_phone} with questions. <script>alert(1)</script>

## Knee to chest

![A person lying on their back hugging one knee to the chest.](images/knee-to-chest.svg)

1. Lie on your back.
2. Hold for 20 to 30 seconds.

## Mystery

![A picture we never drew.](images/unicorn.svg)

## Stop signs

- pain spreads further down your leg
"""


def fetch(client: FlaskClient, path: str, **kwargs: object) -> TestResponse:
    """GET a page and close the response (a served file stays open until then)."""
    response = client.get(path, **kwargs)  # type: ignore[arg-type]
    response.get_data()
    response.close()
    return response


def course_copy(tmp_path: Path, card: str | None) -> Path:
    """A lessons folder with the real drawings and, if given, this card."""
    folder = tmp_path / "lessons"
    shutil.copytree(LESSONS / "images", folder / "images")
    if card is not None:
        (folder / "exercise-card.md").write_text(card, encoding="utf-8")
    return folder


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(f"sqlite:///{tmp_path / 'test.sqlite3'}", tmp_path,
                   LESSONS_DIR=str(course_copy(tmp_path, CARD)))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def web(site: Flask) -> FlaskClient:
    return site.test_client()


@pytest.mark.parametrize(("name", "url"), [
    ("sciatic-nerve", "https://clinic.example/course/images/sciatic-nerve.png"),
    ("sciatic-nerve.svg", "https://clinic.example/course/images/sciatic-nerve.png"),
    ("images/cat-cow.svg", "https://clinic.example/course/images/cat-cow.png"),
])
def test_png_url_is_absolute_under_the_base_url(name: str, url: str) -> None:
    assert images.png_url(name, "https://clinic.example/") == url


@pytest.mark.parametrize("name", ["../secret", "..", "Cat-Cow", "cat cow", "", "a/../../b.svg",
                                  "cat-cow.txt"])
def test_names_that_are_not_drawing_names_are_refused(name: str) -> None:
    with pytest.raises(images.UnknownDrawing):
        images.drawing(name, LESSONS / "images")


def test_every_drawing_the_lessons_name_is_in_the_folder() -> None:
    assert images.names(LESSONS / "images") == DRAWINGS


@pytest.mark.parametrize("name", DRAWINGS)
def test_each_drawing_is_served_as_a_sharp_png_that_is_not_blank(web: FlaskClient,
                                                                 name: str) -> None:
    response = fetch(web, f"/course/images/{name}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.cache_control.max_age >= 7 * 24 * 3600
    assert response.cache_control.public
    item = images.drawing(name, LESSONS / "images")
    decoded = Image.open(io.BytesIO(response.data)).convert("RGBA")
    assert decoded.size == (2 * item.width, 2 * item.height)
    picture = Image.alpha_composite(Image.new("RGBA", decoded.size, "white"), decoded)
    colours = dict((rgba[:3], n) for n, rgba in picture.getcolors(maxcolors=1 << 20) or [])
    assert len(colours) > 50  # shapes and anti-aliased edges, not one flat colour
    area = picture.width * picture.height
    assert colours.get(OUTLINE, 0) > 0.01 * area  # the lines are really drawn
    assert colours.get((255, 255, 255), 0) < 0.5 * area  # a drawing, not an empty page


def test_a_drawing_is_converted_once_and_then_comes_from_the_cache(
    web: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = images.render_png
    monkeypatch.setattr(images, "render_png", lambda svg: calls.append(1) or real(svg))
    first = fetch(web, "/course/images/cat-cow.png")
    second = fetch(web, "/course/images/cat-cow.png")
    assert first.data == second.data
    assert len(calls) == 1
    again = fetch(web, "/course/images/cat-cow.png",
                  headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_an_edited_drawing_gets_a_new_png_and_the_old_one_goes(site: Flask,
                                                               web: FlaskClient) -> None:
    before = fetch(web, "/course/images/figure-four.png").data
    source = Path(site.config["LESSONS_DIR"]) / "images" / "figure-four.svg"
    source.write_text(source.read_text().replace("#f4f7f8", "#ffffff"))
    after = fetch(web, "/course/images/figure-four.png").data
    assert after != before
    cached = list((Path(site.instance_path) / "drawings").glob("figure-four-*.png"))
    assert len(cached) == 1


@pytest.mark.parametrize("path", [
    "/course/images/unicorn.png",
    "/course/images/..%2F..%2Fpyproject.png",
    "/course/images/%2e%2e.png",
    "/course/images/cat-cow.svg.png",
    "/course/images/../../wsgi.png",
    "/course/images/CAT-COW.png",
])
def test_unknown_or_crafted_names_answer_404(web: FlaskClient, path: str) -> None:
    response = fetch(web, path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("svg", [
    "<svg xmlns='http://www.w3.org/2000/svg'><circle r='4'/>",  # cut short
    "<html xmlns='http://www.w3.org/1999/xhtml'/>",
    "<svg xmlns='http://www.w3.org/2000/svg'/>",  # no size at all
])
def test_a_broken_drawing_answers_404_not_500(site: Flask, web: FlaskClient, svg: str) -> None:
    (Path(site.config["LESSONS_DIR"]) / "images" / "broken.svg").write_text(svg)
    assert fetch(web, "/course/images/broken.png").status_code == 404


def test_a_drawing_sized_only_by_its_view_box_is_served(site: Flask, web: FlaskClient) -> None:
    svg = ("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 120 60'>"
           "<rect width='120' height='60' fill='#2d3a45'/></svg>")
    (Path(site.config["LESSONS_DIR"]) / "images" / "plain.svg").write_text(svg)
    response = fetch(web, "/course/images/plain.png")
    assert Image.open(io.BytesIO(response.data)).size == (240, 120)


def test_without_cairo_a_picture_is_a_clear_503_and_pages_still_work(
    web: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cairosvg", None)  # as if libcairo2 were not installed
    response = fetch(web, "/course/images/cat-cow.png")
    assert response.status_code == 503
    assert "not available right now" in response.get_data(as_text=True)
    assert fetch(web, "/course/exercises").status_code == 200


def test_the_build_command_converts_every_drawing(site: Flask) -> None:
    result = site.test_cli_runner().invoke(args=["drawings", "build"])
    assert result.exit_code == 0, result.output
    assert "6 drawings ready" in result.output
    assert len(list((Path(site.instance_path) / "drawings").glob("*.png"))) == 6


def test_the_card_shows_the_exercises_with_their_drawings(web: FlaskClient) -> None:
    response = fetch(web, "/course/exercises")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Home exercises</h1>" in page
    assert "<h2>Knee to chest</h2>" in page and "<li>Hold for 20 to 30 seconds.</li>" in page
    assert re.search(r'<img src="/course/images/knee-to-chest.png" alt="A person lying on '
                     r'their back hugging one knee to the chest." width="360" height="\d+"', page)
    assert "Calm Hands Massage on (217) 555-0134" in page
    assert 'href="tel:2175550134"' in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "unicorn" not in page and "[A picture we never drew.]" in page
    assert "<nav" not in page


def test_every_image_on_the_real_card_has_alt_text_and_is_served(tmp_path: Path) -> None:
    if not (LESSONS / "exercise-card.md").is_file():
        pytest.skip("lessons/exercise-card.md is not written yet")
    app = make_app(f"sqlite:///{tmp_path / 'test.sqlite3'}", tmp_path)
    client = app.test_client()
    page = fetch(client, "/course/exercises").get_data(as_text=True)
    tags = re.findall(r"<img [^>]*>", page)
    assert len(tags) >= 4
    for tag in tags:
        alt = re.search(r'alt="([^"]*)"', tag)
        assert alt and len(alt.group(1)) > 20, tag
        src = re.search(r'src="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
        assert fetch(client, src).status_code == 200, src
    assert page.count("<h1") == 1
    with app.app_context():
        db.engine.dispose()


def test_without_a_card_the_page_is_a_clear_404(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'test.sqlite3'}", tmp_path,
                   LESSONS_DIR=str(course_copy(tmp_path, None)))
    response = fetch(app.test_client(), "/course/exercises")
    assert response.status_code == 404
    assert "exercise card is not ready yet" in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                    reason=f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
def test_the_card_fits_a_phone_and_prints_on_two_pages_at_most(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    card = None if (LESSONS / "exercise-card.md").is_file() else CARD  # the real one if written
    folder = LESSONS if card is None else course_copy(tmp_path, card)
    port = free_port()
    app = make_app(f"sqlite:///{tmp_path / 'test.sqlite3'}", tmp_path, LESSONS_DIR=str(folder),
                   BASE_URL=f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            phone = browser.new_context(viewport={"width": 375, "height": 740},
                                        device_scale_factor=2, is_mobile=True,
                                        java_script_enabled=False)
            page = phone.new_page()
            page.goto(f"http://127.0.0.1:{port}/course/exercises", wait_until="load")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
                "horizontal scroll at 375 px"
            pictures = page.locator("main img")
            assert pictures.count() >= 1
            for index in range(pictures.count()):
                picture = pictures.nth(index)
                assert picture.evaluate("i => i.complete && i.naturalWidth > 0"), index
                assert picture.bounding_box()["width"] <= 375  # type: ignore[index]
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "exercise-card-375.png"), full_page=True)
            page.emulate_media(media="print")
            assert not page.locator(".print-hint").is_visible()
            pdf = page.pdf(format="Letter", print_background=True)
            (SCREENSHOTS / "exercise-card.pdf").write_bytes(pdf)
            assert 1 <= len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 2
            page.emulate_media(media="screen")
            gallery = "".join(f'<img src="http://127.0.0.1:{port}/course/images/{n}.png" '
                              f'alt="{n}" style="display:block;width:100%;margin:0 0 8px">'
                              for n in DRAWINGS)
            page.set_content(f"<body style='margin:16px'>{gallery}</body>", wait_until="load")
            assert page.evaluate("[...document.images].every(i => i.naturalWidth > 0)")
            page.screenshot(path=str(SCREENSHOTS / "drawings-375.png"), full_page=True)
            browser.close()
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        with app.app_context():
            db.engine.dispose()
