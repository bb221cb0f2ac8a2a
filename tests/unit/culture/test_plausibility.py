"""Plausibility of a count: soft limits from the biology and the batch's own history."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from labtrack.culture.rules.growth import CountPoint
from labtrack.culture.rules.plausibility import (
    CountContext,
    PassageFact,
    Soft,
    soft_findings,
    split_factor,
    surface_limit,
)
from labtrack.culture.rules.protocol import CultureProtocol

MADRID = ZoneInfo("Europe/Madrid")
DAY0 = datetime(2026, 3, 2, 11, 0, tzinfo=MADRID)
P = CultureProtocol()
M = 1_000_000


def on(day: float) -> datetime:
    return DAY0 + timedelta(days=day)


def point(day: float, millions: float, passage: int = 0) -> CountPoint:
    return CountPoint(on(day), millions * M, passage)


def codes(findings) -> set:
    return {finding.code for finding in findings}


def test_99999_million_on_day_12_after_20_million_on_day_10_is_past_three_limits():
    context = CountContext([point(6, 6), point(8, 10.5), point(10, 20)], target_cells=40 * M)
    found = codes(soft_findings(point(12, 99_999), context, P))
    assert found == {Soft.FAST_DOUBLING, Soft.ABOVE_PROJECTION, Soft.ABOVE_TARGET}


def test_a_plausible_next_count_is_past_no_limit():
    context = CountContext([point(6, 6), point(8, 10.5), point(10, 20)], target_cells=40 * M)
    assert soft_findings(point(12, 36), context, P) == []


@pytest.mark.parametrize(("millions", "past"), [(2.4, False), (2.6, True)])
def test_a_doubling_time_shorter_than_the_minimum(millions, past):
    # In one day, 1 → 2.4 × 10⁶ doubles in 0.79 days, 1 → 2.6 × 10⁶ in 0.73 days.
    context = CountContext([point(4, 1)])
    found = soft_findings(point(5, millions), context, CultureProtocol(
        min_doubling_time_days=0.76))
    assert (Soft.FAST_DOUBLING in codes(found)) is past


def test_the_minimum_doubling_time_is_the_protocols():
    context = CountContext([point(4, 1)])
    assert soft_findings(point(5, 3), context, CultureProtocol(min_doubling_time_days=0.5)) == []
    assert codes(soft_findings(point(5, 3), context, P)) == {Soft.FAST_DOUBLING}


def test_a_count_after_a_passage_below_what_the_split_ratio_explains():
    passage = PassageFact(on(9), "1:3")
    context = CountContext([point(8, 30)], passages=[passage])
    assert soft_findings(point(9.5, 9, 1), context, P) == []  # 30 ÷ 3 = 10, within 20 %
    found = soft_findings(point(9.5, 3, 1), context, P)
    assert codes(found) == {Soft.BELOW_SPLIT}
    assert found[0].values["expected"] == 10 * M


def test_a_harvest_far_from_the_projection_or_the_last_count():
    context = CountContext([point(17, 10), point(19, 18)])
    assert soft_findings(point(20, 25), context, P, harvest=True) == []
    assert codes(soft_findings(point(20, 0.000055), context, P, harvest=True)) == {
        Soft.HARVEST_FAR}
    only_one = CountContext([point(19, 23.86)])
    assert codes(soft_findings(point(20, 5.5), only_one, P, harvest=True)) == {Soft.HARVEST_FAR}
    assert soft_findings(point(20, 30), only_one, P, harvest=True) == []


def test_the_first_count_is_judged_only_against_the_target():
    assert soft_findings(point(5, 3), CountContext([], target_cells=40 * M), P) == []
    assert codes(soft_findings(point(12, 99_999), CountContext([], target_cells=40 * M), P)) \
        == {Soft.ABOVE_TARGET}


def test_the_surface_holds_at_most_the_protocols_cells_per_cm2():
    context = CountContext([], surface_cm2=875)
    assert surface_limit(80 * M, context, P) is None
    assert surface_limit(99_999 * M, context, P) == 87.5 * M
    assert surface_limit(99_999 * M, CountContext([]), P) is None  # surface unknown


@pytest.mark.parametrize(("typed", "factor"), [
    ("1:3", 3.0), ("1 : 2.5", 2.5), ("1/4", 4.0), ("2:6", 3.0), ("3:1", None), ("abc", None),
    (None, None), ("0:3", None)])
def test_split_ratios_as_technicians_write_them(typed, factor):
    assert split_factor(typed) == factor


def test_a_harvest_is_judged_against_the_counts_not_the_target():
    context = CountContext([point(17, 60), point(19, 110)], target_cells=20 * M)
    assert soft_findings(point(21, 250), context, P, harvest=True) == []
    assert codes(soft_findings(point(21, 250), context, P)) == {Soft.ABOVE_TARGET}
