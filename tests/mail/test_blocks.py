"""The course's Markdown conventions: key points box, booking button, pictures, in both parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.mail import blocks, pictures
from service.mail.blocks import Extras

BASE = "https://calmhands.example"


def extras(images: Path) -> Extras:
    return Extras("https://calmhands.example/book?a=1&b=2",
                  lambda src: pictures.resolve(src, BASE, images))


@pytest.fixture
def images(tmp_path: Path) -> Path:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}"/>'
    (tmp_path / "knee-to-chest.svg").write_text(svg.format(360, 196))
    (tmp_path / "wide.svg").write_text(svg.format(1200, 600))
    (tmp_path / "broken.svg").write_text("<svg")
    return tmp_path


LESSON = """## Try this today

Lie down.

{booking_button}

## Key points

- Move gently.
- Stop if it hurts.

## After

Words after the box.
"""


def test_key_points_become_a_shaded_box_that_ends_at_the_next_heading(images: Path) -> None:
    html = blocks.to_html(LESSON, extras(images))
    box = html.split('class="key-points"')[1].split("</table>")[0]
    assert "background-color:#eaf3ef" in box and "<li>Move gently.</li>" in box
    assert "Words after the box" not in box and "Lie down" not in box


def test_key_points_are_a_marked_block_in_the_text_part(images: Path) -> None:
    text = blocks.to_text(LESSON, extras(images))
    rule = "=" * 72
    assert f"{rule}\nKEY POINTS\n\n- Move gently.\n- Stop if it hurts.\n{rule}" in text
    assert text.endswith("After\n-----\n\nWords after the box.")


def test_the_booking_placeholder_becomes_a_button_and_a_url_line(images: Path) -> None:
    html = blocks.to_html(LESSON, extras(images))
    assert 'href="https://calmhands.example/book?a=1&amp;b=2"' in html
    assert ">Book a visit</a>" in html and "{booking_button}" not in html
    assert "font-size:19px" in html  # large: not a small link
    text = blocks.to_text(LESSON, extras(images))
    assert "Book a visit: https://calmhands.example/book?a=1&b=2" in text


def test_a_booking_placeholder_inside_a_sentence_stays_text(images: Path) -> None:
    html = blocks.to_html("Tap {booking_button} now.", extras(images))
    assert "<table" not in html and "{booking_button}" in html


@pytest.mark.parametrize(
    ("src", "url", "size"),
    [
        ("images/knee-to-chest.svg", f"{BASE}/course/images/knee-to-chest.png",
         'width="360" height="196"'),
        ("images/wide.svg", f"{BASE}/course/images/wide.png", 'width="552" height="276"'),
        ("images/broken.svg", f"{BASE}/course/images/broken.png", 'width="552" style'),
        ("images/missing.svg", f"{BASE}/course/images/missing.png", 'width="552" style'),
    ],
)
def test_pictures_become_absolute_pngs_with_a_size_and_alt(
    images: Path, src: str, url: str, size: str
) -> None:
    html = blocks.to_html(f'![Lying on the back, "hugging" one knee]({src})', extras(images))
    assert f'src="{url}"' in html and size in html
    assert 'alt="Lying on the back, &quot;hugging&quot; one knee"' in html
    assert "max-width:" in html and "height:auto" in html  # shrinks on a phone
    text = blocks.to_text(f"![Lying on the back, hugging one knee]({src})", extras(images))
    assert text == "[Picture: Lying on the back, hugging one knee]"


def test_raw_html_in_a_lesson_stays_text(images: Path) -> None:
    html = blocks.to_html("<script>alert(1)</script>\n\n{booking_button}", extras(images))
    assert "<script" not in html and "&lt;script&gt;" in html
