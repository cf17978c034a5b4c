"""Chart geometry for the dashboard's server-rendered SVG: pure arithmetic, no drawing.

The templates in admin/_charts.html draw what these return. Series differ by shape and
fill pattern (solid bars, hatched bars, a line with square markers), never by colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 36


def nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return int(step * power)
    return int(10 * power)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class DailyChart:
    width: int
    height: int
    bars: list[Bar]
    line: str  # SVG points for the second series
    markers: list[tuple[float, float]]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    baseline: float
    left: int


def daily(labels: Sequence[str], bars: Sequence[int], line: Sequence[int],
          every: int = 15) -> DailyChart:
    """Bars for one daily series and a marked line for another, on one axis."""
    top = nice_max(max([*bars, *line, 0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    baseline = TOP + plot_h

    def y(v: int) -> float:
        return baseline - plot_h * v / top

    drawn = [
        Bar(LEFT + i * slot + slot * 0.15, y(v), slot * 0.7, baseline - y(v), labels[i], v)
        for i, v in enumerate(bars)
    ]
    points = [(LEFT + i * slot + slot / 2, y(v)) for i, v in enumerate(line)]
    # Markers only where something happened: ninety squares on the baseline would hide it.
    marked = [point for point, v in zip(points, line, strict=True) if v]
    y_ticks = [Tick(y(top * k // 4), f"{top * k // 4:,}") for k in range(5)]
    x_ticks = [Tick(LEFT + i * slot + slot / 2, labels[i]) for i in range(0, len(labels), every)]
    return DailyChart(
        WIDTH, HEIGHT, drawn, " ".join(f"{x:.1f},{yy:.1f}" for x, yy in points), marked,
        y_ticks, x_ticks, baseline, LEFT,
    )


@dataclass(frozen=True)
class Row:
    label: str
    y: float
    main: Bar
    second: Bar


@dataclass(frozen=True)
class FunnelChart:
    width: int
    height: int
    rows: list[Row]
    left: int


def funnel(labels: Sequence[str], main: Sequence[int], second: Sequence[int]) -> FunnelChart:
    """One row per lesson: a solid bar (received) over a hatched one (left or paused after)."""
    left, row_h = 80, 34
    plot_w = WIDTH - left - 130  # room for the value labels
    top = max([*main, *second, 1])
    rows = []
    for i, label in enumerate(labels):
        y = TOP + i * row_h
        rows.append(Row(
            label, y,
            Bar(left, y, plot_w * main[i] / top, 14, label, main[i]),
            Bar(left, y + 16, plot_w * second[i] / top, 10, label, second[i]),
        ))
    return FunnelChart(WIDTH, TOP * 2 + row_h * len(labels), rows, left)
