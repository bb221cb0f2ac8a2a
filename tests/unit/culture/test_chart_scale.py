"""The one scale behind both growth charts: the page's SVG and the release record's PDF."""

import pytest

from labtrack.culture.rules.chart_scale import ChartScale, decades, plotted


def test_decades_hold_every_value_and_span_at_least_one():
    assert decades([3.2e6, 2.4e7]) == (6, 8)
    assert decades([2e7, 2e7]) == (7, 8)
    assert decades([1e7, 1e8]) == (7, 8)


def test_zero_counts_are_left_out_and_points_come_in_day_order():
    assert plotted([(9, 2e7, 1), (3, 0.0, 1), (1, 4e6, 0)]) == [(1, 4e6, 0), (9, 2e7, 1)]


@pytest.mark.parametrize(("bottom", "top"), [(280, 28), (28, 280)])  # SVG down, PDF up
def test_a_decade_is_the_same_height_whichever_way_y_grows(bottom, top):
    scale = ChartScale(left=50, right=650, bottom=bottom, top=top, x_max=21, lo=6, hi=8)
    assert scale.y(1e6) == pytest.approx(bottom)
    assert scale.y(1e8) == pytest.approx(top)
    assert scale.y(1e7) == pytest.approx((bottom + top) / 2)
    assert scale.x(0) == 50 and scale.x(21) == 650
    assert scale.x(40) == 650  # beyond the axis: at its end, never off the chart
