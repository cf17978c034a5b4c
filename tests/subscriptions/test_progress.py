"""Course progress in plain words, in the subscriber's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.subscriptions.progress import CourseProgress, describe

NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # Tuesday 10:00 in Chicago
WEDNESDAY_9 = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
NEXT_TUESDAY = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)  # midnight in Chicago
NEXT_TUESDAY_9 = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)


def _progress(**changes: object) -> CourseProgress:
    values: dict[str, object] = {
        "total": 11, "done": 4, "next_number": 5, "next_at": WEDNESDAY_9, "paused": False,
        "paused_until": None, "course_enabled": True,
    }
    values.update(changes)
    return CourseProgress(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "done", "following"),
    [
        ({}, "Lesson 4 of 11 done.", "Next: lesson 5, tomorrow at 9 AM."),
        ({"next_at": datetime(2026, 12, 3, 15, 0, tzinfo=UTC)}, "Lesson 4 of 11 done.",
         "Next: lesson 5, Thursday at 9 AM."),
        ({"paused": True, "next_at": None}, "Lesson 4 of 11 done.",
         "Paused: lesson 5 waits until you resume."),
        ({"paused_until": NEXT_TUESDAY, "next_at": NEXT_TUESDAY_9}, "Lesson 4 of 11 done.",
         "Paused until Tuesday 8 December. Next: lesson 5, Tuesday 8 December at 9 AM."),
        ({"course_enabled": False, "next_at": None}, "Lesson 4 of 11 done.",
         "The course is off: turn it on below to get lesson 5."),
        ({"done": 0, "next_number": 1, "next_at": NOW}, "The course has 11 lessons.",
         "Next: lesson 1, on its way now."),
        ({"done": 11, "next_number": None, "next_at": None}, "You have had all 11 lessons.",
         "There are no more lessons to come."),
    ],
)
def test_describe(changes: dict[str, object], done: str, following: str) -> None:
    said = describe(_progress(**changes), "America/Chicago", "en_US", NOW)
    assert tuple(s.replace("\u202f", " ") for s in said) == (done, following)
