"""Chart geometry: axis maxima, bar heights, markers only where something happened."""

from __future__ import annotations

import pytest

from service.web.admin import charts


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (180, 200),
                                            (501, 1000)])
def test_nice_max(value: int, top: int) -> None:
    assert charts.nice_max(value) == top


def test_daily_bars_scale_to_the_axis_and_zero_days_get_no_marker() -> None:
    chart = charts.daily(["a", "b", "c"], [0, 5, 10], [0, 0, 4], every=1)
    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0 and heights[2] == pytest.approx(2 * heights[1])
    assert len(chart.markers) == 1
    assert [t.label for t in chart.y_ticks] == ["0", "2", "5", "7", "10"]


def test_funnel_rows_are_proportional() -> None:
    chart = charts.funnel(["Lesson 1", "Lesson 2"], [10, 5], [2, 0])
    first, second = chart.rows
    assert first.main.width == pytest.approx(2 * second.main.width)
    assert second.second.width == 0 and first.y < second.y
