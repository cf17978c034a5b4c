"""Markdown to HTML and to the text part."""

from __future__ import annotations

import pytest

from service.mail import markdown

VALUES = {
    "CLINIC_BOOKING_URL": "https://calmhands.example/book",
    "CLINIC_NAME": "Calm Hands Massage",
    "CLINIC_PHONE": "(217) 555-0134",
}


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("## Stop signs\n\nStop now.", "Stop signs\n----------\n\nStop now."),
        ("# Welcome", "Welcome\n======="),
        ("- one\n- two", "- one\n- two"),
        ("1. one\n2. two", "1. one\n2. two"),
        ("- outer\n  - inner", "- outer\n  - inner"),
        ("[Book a visit](https://x.example/book) online.",
         "Book a visit (https://x.example/book) online."),
        ("<https://x.example/a>", "https://x.example/a"),
        ("**Bold** and *soft*", "Bold and soft"),
        ("![A man stretching](https://x.example/a.png)", "[Picture: A man stretching]"),
        ("<b>raw</b> & more", "<b>raw</b> & more"),
        ("> Quote", "> Quote"),
    ],
)
def test_text_part_reads_like_the_markdown(source: str, text: str) -> None:
    assert markdown.to_text(source) == text


def test_long_paragraphs_wrap_but_urls_stay_whole() -> None:
    url = "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1895638/" + "x" * 40
    text = markdown.to_text("word " * 30 + f"[see]({url})")
    assert all(len(line) <= 72 or url in line for line in text.splitlines())
    assert f"({url})" in text


@pytest.mark.parametrize(
    "source",
    ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))"],
)
def test_raw_html_and_script_links_never_reach_the_html(source: str) -> None:
    html = markdown.to_html(source)
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html


@pytest.mark.parametrize(
    ("source", "filled"),
    [
        ("[Book]({booking_url})", "[Book](https://calmhands.example/book)"),
        ("Call {clinic_name} at {clinic_phone}.", "Call Calm Hands Massage at (217) 555-0134."),
        ("{first_name} {unknown}", "{first_name} {unknown}"),
    ],
)
def test_only_the_three_placeholders_are_filled(source: str, filled: str) -> None:
    assert markdown.fill_placeholders(source, VALUES) == filled


def test_plain_words_drop_urls_and_end_each_block_as_a_sentence() -> None:
    words = markdown.plain_words("## Heading\n\n- item one\n- item [two](https://x.example)")
    assert words == "Heading.\nitem one.\nitem two."
