"""The pure parts of revisions: reading the editor's fields, and the side-by-side diff."""

from __future__ import annotations

import pytest

from service.course.checking import Finding, finding_of, snippets
from service.course.revisions import FieldErrors, diff_rows, parse_fields

GOOD = {"subject": "  Sleep  and\nsciatica ", "preheader": "", "delay_days": "2",
        "body": "Some text.\r\n\r\n", "sources": "A book\n\n  A site  \n"}


def test_fields_are_cleaned() -> None:
    fields = parse_fields(GOOD)
    assert fields.subject == "Sleep and sciatica"  # no line break can reach a header
    assert fields.delay_days == 2 and fields.body == "Some text.\n"
    assert fields.sources == ("A book", "A site")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("subject", "", "Write a subject line."),
    ("subject", "x" * 121, "under 121 characters"),
    ("preheader", "x" * 201, "under 201 characters"),
    ("delay_days", "-1", "from 0 to 60"),
    ("delay_days", "61", "from 0 to 60"),
    ("delay_days", "two", "from 0 to 60"),
    ("body", "   \n", "needs some text"),
    ("sources", "\n".join(f"s{i}" for i in range(31)), "at most 30"),
])
def test_each_mistake_is_named_by_its_field(field: str, value: str, message: str) -> None:
    with pytest.raises(FieldErrors) as caught:
        parse_fields({**GOOD, field: value})
    assert list(caught.value.errors) == [field]
    assert message in caught.value.errors[field]


@pytest.mark.parametrize(("old", "new", "changes"), [
    (["a", "b", "c"], ["a", "b", "c"], []),  # shown as "No differences."
    (["a", "b", "c"], ["a", "B", "c"], ["same", "changed", "same"]),
    (["a", "c"], ["a", "b", "c"], ["same", "added", "same"]),
    (["a", "b", "c"], ["a", "c"], ["same", "removed", "same"]),
    ([], ["a"], ["added"]),
    (list("abcdefghij"), list("abcdefghiJ"), ["same", "same", "changed"]),
    (list("Abcdefghij"), list("abcdefghiJ"),
     ["changed", "same", "same", "skipped", "same", "same", "changed"]),
])
def test_the_diff_says_each_change_in_words(old: list[str], new: list[str],
                                            changes: list[str]) -> None:
    assert [row.change for row in diff_rows(old, new)] == changes


def test_diff_rows_carry_both_line_numbers() -> None:
    [same, added, after] = diff_rows(["a", "c"], ["a", "b", "c"])
    assert (added.old_number, added.new_number, added.new) == (None, 2, "b")
    assert (after.old_number, after.new_number) == (2, 3)


@pytest.mark.parametrize(("problem", "finding"), [
    ("no sources", Finding("no sources")),
    ("claims not supported by evidence: 'cure', 'guaranteed'",
     Finding("claims not supported by evidence: 'cure', 'guaranteed'", ("cure", "guaranteed"))),
])
def test_problems_become_findings_with_words_to_mark(problem: str, finding: Finding) -> None:
    assert finding_of(problem) == finding


def test_a_structured_problem_is_read_by_its_fields() -> None:
    class Problem:
        message = "emergency signs incomplete"
        words = ("bladder",)

    assert finding_of(Problem()) == Finding("emergency signs incomplete", ("bladder",))


def test_snippets_show_the_word_in_context() -> None:
    text = "Massage may help. It is not a Cure. Nothing will cure it for sure."
    assert [match for _, match, _ in snippets(text, "cure")] == ["Cure", "cure"]
    before, match, after = snippets(text, "help")[0]
    assert before == "Massage may " and after.startswith(". It is not")
