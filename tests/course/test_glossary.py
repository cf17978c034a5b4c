"""The glossary rule: the first use of each term in the course is bold and defined."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.course.glossary import REQUIRED, GlossaryError, Term, glossary_problems, load

ROOT = Path(__file__).resolve().parents[2]
NERVE_ROOT = Term("nerve root", ("nerve root", "nerve roots"))
MRI = Term("MRI", ("MRI",))


def problems(term: Term, *bodies: str) -> list[str]:
    lessons = [(f"lesson {n}", body) for n, body in enumerate(bodies, 1)]
    found = glossary_problems([term], lessons)
    return [p.message for ps in found.values() for p in ps]


@pytest.mark.parametrize(
    "body",
    [
        "It starts as **nerve roots** (small nerves from the spine).",
        "A **nerve root** is a small nerve that leaves the spine.",
        "**Nerve roots** are small nerves that leave the spine.",
        "A **nerve root** means the start of a nerve.",
        "It starts at a **nerve root**, a small nerve from the spine.",
        "It starts at a **nerve root** — a small nerve from the spine.",
        "## Nerve roots\n\nA **nerve root** is a small nerve.",  # headings do not count
        "![Nerve roots leaving the spine](images/x.svg)\n\nA **nerve root** is a nerve.",
    ],
)
def test_a_first_use_in_bold_and_defined_passes(body: str) -> None:
    assert problems(NERVE_ROOT, body, "Later the nerve roots heal.") == []


@pytest.mark.parametrize(
    ("bodies", "where", "says"),
    [
        (("Pain starts at a nerve root.",), "lesson 1", "not in bold"),
        (("Pain starts at a **nerve root**.",), "lesson 1", "not followed by a definition"),
        (("Pain starts at **a nerve root** (a nerve).",), "lesson 1", "not in bold on its own"),
        (("No term here.", "Nerve roots get squeezed. A **nerve root** is a nerve."),
         "lesson 2", "not in bold"),
        (("- squeezed nerve roots\n", "A **nerve root** is a nerve."), "lesson 1",
         "not in bold"),  # list items are text too
    ],
)
def test_a_first_use_that_is_plain_or_undefined_fails(
    bodies: tuple[str, ...], where: str, says: str
) -> None:
    (message,) = problems(NERVE_ROOT, *bodies)
    assert message.startswith(f"{where}: ") and "'nerve root'" in message and says in message


def test_only_the_first_use_in_course_order_counts() -> None:
    assert problems(NERVE_ROOT, "A **nerve root** is a nerve.", "Nerve roots heal.") == []
    assert problems(NERVE_ROOT, "Nerve roots heal.", "A **nerve root** is a nerve.")


def test_acronyms_match_their_case_and_words_match_whole() -> None:
    assert problems(MRI, "Your primitive brain.", "An **MRI** is a scan.") == []
    assert problems(Term("core", ("core",)), "Rotten to the cores? Hardcore.") == []
    assert problems(Term("TENS", ("TENS",)), "tens of people.", "**TENS** is a machine.") == []


def test_the_problem_carries_the_words_to_highlight() -> None:
    found = glossary_problems([NERVE_ROOT], [("lesson 1", "Five nerve roots.")])
    assert found["lesson 1"][0].words == ("nerve roots",)


def write(folder: Path, text: str) -> Path:
    (folder / "glossary.yml").write_text(text, encoding="utf-8")
    return folder


def test_the_course_glossary_loads_with_every_required_term() -> None:
    names = {term.name for term in load(ROOT / "lessons")}
    assert set(REQUIRED) <= names


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (None, "glossary.yml is missing"),
        ("- a list\n", "must map each term"),
        ("sciatica: [1, 2]\n", "'sciatica' must map to a list"),
        ("key: [unclosed\n", "not valid YAML"),
        ("sciatica: []\n", "lacks required terms: sciatic nerve"),
    ],
)
def test_a_bad_glossary_is_refused_saying_why(tmp_path: Path, text: str | None,
                                             says: str) -> None:
    if text is not None:
        write(tmp_path, text)
    with pytest.raises(GlossaryError, match=says):
        load(tmp_path)
