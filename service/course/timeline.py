"""A subscriber's remaining lessons, each with the instant it will be queued: pure, no I/O.

It replays what the dispatch pass does (service/delivery/queueing.py): the next lesson is
queued at `next_due_at`; the one after it is due `next_lesson_due(queued, queued, ...)`
(schedule.py), and so on. A pass that runs on time therefore sends exactly these instants;
one that runs late (the worker was down) sends at the next pass instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfoNotFoundError

from service.course.schedule import next_lesson_due


@dataclass(frozen=True)
class Step:
    """One lesson still to come; `at` is None when nothing is scheduled (paused, pending)."""

    position: int
    at: datetime | None


def forecast(
    lessons: Sequence[tuple[int, int]],
    last_position_sent: int,
    next_due_at: datetime | None,
    send_hour: int,
    zone: str,
    weekdays_only: bool,
) -> list[Step]:
    """The lessons after `last_position_sent` ((position, delay_days) in course order)."""
    remaining = [(p, d) for p, d in lessons if p > last_position_sent]
    if next_due_at is None:
        return [Step(position, None) for position, _ in remaining]
    try:
        next_lesson_due(next_due_at, next_due_at, 1, send_hour, zone, weekdays_only)
    except (ZoneInfoNotFoundError, ValueError):
        zone = "UTC"  # as the pass does with a zone this machine lacks
    steps: list[Step] = []
    at = next_due_at
    for index, (position, delay_days) in enumerate(remaining):
        if index:
            at = next_lesson_due(at, at, delay_days, send_hour, zone, weekdays_only)
        steps.append(Step(position, at))
    return steps
