"""The emergency-signs rule: a text that lists some signs must list them all."""

from __future__ import annotations

import pytest

from service.course.check import footer_problems
from service.course.emergency import SIGNS, emergency_problems
from service.mail.render import URGENT

COMPLETE = (
    "Call 911 or go to the emergency room now if you have numbness between your legs, "
    "or it feels different when you wipe; new trouble peeing, or controlling your bladder or "
    "bowels; you do not feel when you need to pee or poo; you cannot pee at all; new problems "
    "getting or keeping an erection; weakness in both legs; or a leg getting weaker fast."
)
# (the words that carry one sign in COMPLETE, a rewording that drops it, the sign named)
DROPS = [
    ("numbness between your legs, or", "numbness,", SIGNS[0][0]),
    ("when you wipe", "later", "wiping feels different"),
    ("new trouble peeing, or controlling", "controlling", "new trouble peeing"),
    ("need to pee or poo", "need the toilet", "not feeling when you need to pee or poo"),
    ("cannot pee at all", "cannot go", "unable to pee at all"),
    ("getting or keeping an erection", "in bed", "an erection"),
    ("weakness in both legs", "weakness", "weakness in both legs"),
    ("a leg getting weaker fast", "a weak leg", "a leg getting weaker fast"),
    ("Call 911 or go", "Go", "call 911"),
    ("go to the emergency room", "see someone", "emergency room"),
]


def test_a_complete_list_passes() -> None:
    assert emergency_problems(COMPLETE, "lesson 1") == []


@pytest.mark.parametrize(("old", "new", "sign"), DROPS)
def test_a_list_missing_one_sign_fails_naming_it(old: str, new: str, sign: str) -> None:
    assert old in COMPLETE
    problems = emergency_problems(COMPLETE.replace(old, new), "lesson 10 (when-to-see-a-doctor)")
    assert len(problems) == 1
    problem = problems[0]
    assert problem.rule == "emergency-signs"
    assert problem.message.startswith("lesson 10 (when-to-see-a-doctor) must list every")
    missing = problem.message.split("leaves out: ")[1]
    assert sign in missing
    assert problem.words  # the trigger words, for a panel to highlight


@pytest.mark.parametrize(
    "text",
    [
        "Massage is gentle. Tell your therapist where it hurts.",
        "Know the emergency signs in lesson 1 and at the bottom of every email.",
        "If you have sudden leg weakness, call your doctor today.",
    ],
)
def test_a_text_that_names_no_sign_passes(text: str) -> None:
    assert emergency_problems(text, "lesson 4") == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Go to the emergency room if you have new bladder or bowels trouble.",
         "bladder or bowels"),
        ("Cauda Equina syndrome is rare.", "Cauda Equina"),
        ("Numbness between your legs needs care now.", "between your legs"),
    ],
)
def test_a_partial_list_fails_with_the_words_that_made_it_a_list(text: str, found: str) -> None:
    (problem,) = emergency_problems(text, "lesson 7")
    assert found in problem.words


def test_the_footer_pointer_in_every_email_is_complete() -> None:
    assert footer_problems(URGENT) == []
    assert footer_problems() == []


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        (URGENT.replace(", or a leg getting weaker fast", ""), "a leg getting weaker fast"),
        (URGENT.replace("Call 911 or go", "Go"), "call 911"),
        ("Go to the emergency room now if you have numbness between your legs, new bladder or "
         "bowel problems, or weakness in both legs.", "unable to pee at all"),
        ("See a doctor if you feel unwell.", "weakness in both legs"),  # names none: still fails
    ],
)
def test_an_incomplete_footer_pointer_fails(text: str, sign: str) -> None:
    (problem,) = footer_problems(text)
    assert problem.message.startswith("the email footer must list every emergency sign")
    assert sign in problem.message.split("leaves out: ")[1]
