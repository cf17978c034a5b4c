"""The pure forecast of a subscriber's remaining lessons."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.course.timeline import Step, forecast

COURSE = [(1, 0), (2, 1), (3, 1), (4, 2)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("last", "due", "weekdays", "expected"),
    [
        # Chicago is UTC-6 in December: 09:00 local is 15:00 UTC.
        (1, "2026-12-02 15:00", False,
         ["2026-12-02 15:00", "2026-12-03 15:00", "2026-12-05 15:00"]),
        # Friday's lesson, weekdays only: the next one waits for Monday.
        (2, "2026-12-04 15:00", True, ["2026-12-04 15:00", "2026-12-07 15:00"]),
        (4, None, False, []),
    ],
)
def test_forecast_follows_the_schedule(
    last: int, due: str | None, weekdays: bool, expected: list[str]
) -> None:
    steps = forecast(COURSE, last, at(due) if due else None, 9, "America/Chicago", weekdays)
    assert [s.at for s in steps] == [at(e) for e in expected]


def test_nothing_scheduled_lists_the_lessons_without_dates() -> None:
    assert forecast(COURSE, 2, None, 9, "America/Chicago", False) == [Step(3, None), Step(4, None)]
