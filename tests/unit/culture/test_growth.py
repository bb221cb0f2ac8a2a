"""Growth maths checked against values worked out by hand (arithmetic in the comments)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from labtrack.culture.rules.growth import (
    CountPoint,
    FitMethod,
    NoProjection,
    NoProjectionReason,
    PassageYield,
    Projection,
    culture_day,
    cumulative_doublings,
    doubling_time_days,
    elapsed_days,
    is_at_risk,
    passage_doublings,
    population_doublings,
    progress,
    project_target_date,
    target_cells,
    viability_percent,
)

MADRID = ZoneInfo("Europe/Madrid")
SEEDED = datetime(2025, 5, 5, 8, 0, tzinfo=UTC)  # 10:00 in Madrid (CEST, UTC+2)
M = 1e6


def day(n: float) -> datetime:
    return SEEDED + timedelta(days=n)


def count(n: float, cells: float, passage: int = 1) -> CountPoint:
    return CountPoint(at=day(n), viable_cells=cells, passage=passage)


def close_to(actual: datetime, expected: datetime, minutes: float = 5) -> bool:
    return abs(actual - expected) <= timedelta(minutes=minutes)


# --- counts, doublings ------------------------------------------------------------------

def test_viability_percent():
    # 90 / (90 + 10) × 100 = 90
    assert viability_percent(90, 10) == pytest.approx(90.0)
    assert viability_percent(5, 0) == 100.0


def test_viability_refuses_zero_total_and_negatives():
    with pytest.raises(ValueError):
        viability_percent(0, 0)
    with pytest.raises(ValueError):
        viability_percent(-1, 5)


def test_doublings_and_doubling_time():
    # 1e6 → 8e6: PD = log2(8) = 3; over 6 days, Td = 6 × ln2 / ln8 = 6 × ln2 / (3 ln2) = 2 days
    assert population_doublings(1 * M, 8 * M) == pytest.approx(3.0)
    assert doubling_time_days(1 * M, 8 * M, 6) == pytest.approx(2.0)


def test_no_doubling_time_without_growth():
    assert doubling_time_days(8 * M, 8 * M, 3) is None
    assert doubling_time_days(8 * M, 4 * M, 3) is None
    assert population_doublings(8 * M, 4 * M) == pytest.approx(-1.0)  # log2(1/2)
    with pytest.raises(ValueError):
        population_doublings(0, 4 * M)


def test_passage_split_and_cumulative_doublings():
    # P0: 1 M → 4 M in 4 days: PD = log2(4) = 2, Td = 4 × ln2 / ln4 = 2 days.
    # P1: every cell reseeded but 2 M survive trypsinisation → 16 M in 9 days:
    #     PD = log2(8) = 3, Td = 9 / 3 = 3 days. Cumulative = 2 + 3 = 5.
    yields = [
        PassageYield(1, 2 * M, 16 * M, day(4), day(13)),
        PassageYield(0, 1 * M, 4 * M, day(0), day(4)),
    ]
    rows = passage_doublings(yields)
    assert [r.passage for r in rows] == [0, 1]
    assert [r.doublings for r in rows] == pytest.approx([2.0, 3.0])
    assert [r.cumulative for r in rows] == pytest.approx([2.0, 5.0])
    assert [r.doubling_time_days for r in rows] == pytest.approx([2.0, 3.0])
    assert cumulative_doublings(yields) == pytest.approx(5.0)


def test_count_point_needs_aware_time_and_sane_numbers():
    with pytest.raises(ValueError):
        CountPoint(at=datetime(2025, 5, 5, 10, 0), viable_cells=M, passage=0)  # noqa: DTZ001
    with pytest.raises(ValueError):
        CountPoint(at=SEEDED, viable_cells=-1, passage=0)


# --- culture day and DST ------------------------------------------------------------------

def test_culture_day_counts_local_days_across_spring_dst_in_madrid():
    # Clocks go 02:00 CET → 03:00 CEST on 2025-03-30.
    seeded = datetime(2025, 3, 28, 9, 0, tzinfo=MADRID)  # 08:00 UTC
    at = datetime(2025, 3, 31, 0, 30, tzinfo=MADRID)  # 2025-03-30 22:30 UTC
    # Local dates 28 → 31 = day 3 (the UTC dates 28 → 30 would say day 2).
    assert culture_day(seeded, at, MADRID) == 3
    assert culture_day(seeded, at, ZoneInfo("UTC")) == 2
    assert culture_day(seeded, seeded, MADRID) == 0
    # Noon to noon over the changeover is only 23 h = 23/24 day of culture time.
    assert elapsed_days(datetime(2025, 3, 29, 12, tzinfo=MADRID),
                        datetime(2025, 3, 30, 12, tzinfo=MADRID)) == pytest.approx(23 / 24)


def test_culture_day_across_autumn_dst_in_madrid():
    # Clocks go 03:00 CEST → 02:00 CET on 2025-10-26: that day has 25 hours.
    seeded = datetime(2025, 10, 25, 23, 30, tzinfo=MADRID)  # 21:30 UTC
    # 25 h of real time later it is 26 Oct, 23:30 CET (22:30 UTC): still culture day 1.
    assert culture_day(seeded, datetime(2025, 10, 26, 22, 30, tzinfo=UTC), MADRID) == 1
    assert culture_day(seeded, datetime(2025, 10, 26, 23, 30, tzinfo=MADRID), MADRID) == 1
    # Careful: ``seeded + timedelta(hours=25)`` is wall-clock arithmetic in Python and lands
    # on 27 Oct, 00:30, a real 26 h later — elapsed_days measures absolute time instead.
    assert elapsed_days(seeded, datetime(2025, 10, 26, 23, 30, tzinfo=MADRID)) == (
        pytest.approx(25 / 24))


def test_culture_day_before_seeding_is_an_error():
    with pytest.raises(ValueError):
        culture_day(day(1), day(0), MADRID)


# --- target and progress ------------------------------------------------------------------

def test_target_and_progress():
    # 20 M × 3 discs + 2 M for QC = 62 M
    target = target_cells(20 * M, 3, qc_reserve=2 * M)
    assert target == pytest.approx(62 * M)
    # 31 M now: 31/62 = 0.5; per disc (31 − 2) / 3 = 9.667 M; missing 62 − 31 = 31 M
    half = progress(31 * M, target, disc_levels=3, qc_reserve=2 * M)
    assert half.fraction == pytest.approx(0.5)
    assert half.display_fraction == pytest.approx(0.5)
    assert half.per_disc_now == pytest.approx(29 * M / 3)
    assert half.missing == pytest.approx(31 * M)
    assert not half.reached


def test_progress_over_target_is_capped_for_display_only():
    # 70 M of 62 M: raw 70/62 = 1.129, shown as 1.0, nothing missing, (70 − 2)/3 = 22.667 M/disc
    over = progress(70 * M, 62 * M, disc_levels=3, qc_reserve=2 * M)
    assert over.fraction == pytest.approx(70 / 62)
    assert over.display_fraction == 1.0
    assert over.missing == 0
    assert over.per_disc_now == pytest.approx(68 * M / 3)
    assert over.reached


def test_target_refuses_nonsense():
    with pytest.raises(ValueError):
        target_cells(20 * M, 0)


# --- projection ---------------------------------------------------------------------------

def test_no_counts_and_single_count_give_no_projection():
    assert project_target_date([], 64 * M, day(1)) == NoProjection(NoProjectionReason.NO_COUNTS)
    single = project_target_date([count(0, M)], 64 * M, day(1))
    assert single == NoProjection(NoProjectionReason.SINGLE_COUNT)


@pytest.mark.parametrize("cells", [(5, 5, 5), (5, 4, 3), (5, 5.2, 5.4)])
def test_flat_falling_or_crawling_curve_gives_no_projection(cells):
    # (5, 5.2, 5.4) M over 4 days: rate ≈ ln(5.4/5)/4 = 0.019/day, Td ≈ 36 days > 14 → flat
    counts = [count(d, c * M) for d, c in zip((0, 2, 4), cells, strict=True)]
    result = project_target_date(counts, 64 * M, day(5))
    assert result == NoProjection(NoProjectionReason.NOT_GROWING)


def test_clean_exponential_projects_the_right_date():
    # 1, 2, 4 M at days 0, 2, 4: Td = 2 days. 64 M from 4 M = log2(16) = 4 doublings
    # = 8 days after the last count → day 12.
    counts = [count(0, 1 * M), count(2, 2 * M), count(4, 4 * M)]
    result = project_target_date(counts, 64 * M, day(5))
    assert isinstance(result, Projection)
    assert close_to(result.projected_at, day(12))
    assert result.doubling_time_days == pytest.approx(2.0)
    assert (result.points_used, result.method, result.fitted_passage) == (
        3, FitMethod.CURRENT_PASSAGE, 1)
    assert result.anchor_at == day(4) and result.anchor_cells == 4 * M
    # No scatter, so the counting-error floor sets the range: se = 0.10 / √Sxx,
    # Sxx = (0−2)² + 0 + (4−2)² = 8 → se = 0.035355. Rate r = ln2/2 = 0.346574.
    # Earliest: ln16 / (r + 2se) = 2.772589 / 0.417285 = 6.644 days → day 10.644
    # Latest:   ln16 / (r − 2se) = 2.772589 / 0.275863 = 10.051 days → day 14.051
    assert close_to(result.earliest_at, day(4 + 6.6444))
    assert close_to(result.latest_at, day(4 + 10.0506))
    assert result.earliest_at < result.projected_at < result.latest_at


def test_projection_is_in_absolute_time_across_dst():
    # Counts at 10:00 Madrid on 24, 26, 28 March 2025 (CET): 1, 2, 4 M, Td = 2 days.
    # 64 M is 8 × 24 h after 28 Mar 10:00 CET (09:00 UTC) → 5 Apr 09:00 UTC = 11:00 CEST,
    # not 10:00 as wall-clock arithmetic over the 23-hour 30 March would give.
    counts = [CountPoint(datetime(2025, 3, d, 10, tzinfo=MADRID), c * M, 1)
              for d, c in ((24, 1), (26, 2), (28, 4))]
    result = project_target_date(counts, 64 * M, datetime(2025, 3, 29, tzinfo=MADRID))
    assert isinstance(result, Projection)
    assert close_to(result.projected_at, datetime(2025, 4, 5, 9, 0, tzinfo=UTC))
    assert result.projected_at.astimezone(MADRID).hour == 11


def test_noisy_counts_widen_the_range():
    clean = [count(0, 1 * M), count(2, 2 * M), count(4, 4 * M), count(6, 8 * M)]
    noisy = [count(0, 1 * M), count(2, 2.6 * M), count(4, 3.1 * M), count(6, 8.4 * M)]
    a = project_target_date(clean, 64 * M, day(6))
    b = project_target_date(noisy, 64 * M, day(6))
    assert isinstance(a, Projection) and isinstance(b, Projection)
    assert b.latest_at is not None
    assert (b.latest_at - b.earliest_at) > (a.latest_at - a.earliest_at)
    assert b.earliest_at < b.projected_at < b.latest_at


def test_single_count_after_passage_uses_previous_passage_rate():
    # P0: 1 M → 8 M in 3 days: r = ln8/3 = ln2 per day, Td = 1 day.
    # P1 starts with 6 M (cells lost at trypsinisation). 48 M / 6 M = 8 = 3 doublings
    # = 3 days after the P1 count → day 7.
    counts = [count(0, 1 * M, 0), count(3, 8 * M, 0), count(4, 6 * M, 1)]
    result = project_target_date(counts, 48 * M, day(4.5))
    assert isinstance(result, Projection)
    assert result.method == FitMethod.EARLIER_PASSAGE and result.fitted_passage == 0
    assert result.points_used == 2
    assert result.anchor_at == day(4)
    assert close_to(result.projected_at, day(7))
    # Two points: se = 0.10 / √Sxx, Sxx = 2 × 1.5² = 4.5 → se = 0.047140.
    # Earliest: ln8 / (ln2 + 2se) = 2.079442 / 0.787428 = 2.641 days → day 6.641
    # Latest:   ln8 / (ln2 − 2se) = 2.079442 / 0.598866 = 3.472 days → day 7.472
    assert close_to(result.earliest_at, day(4 + 2.6408))
    assert close_to(result.latest_at, day(4 + 3.4723))


def test_current_passage_fit_wins_even_when_flat():
    # P1 has two counts and is in lag phase: its own flat fit says "not growing"
    counts = [count(0, 1 * M, 0), count(3, 8 * M, 0), count(4, 6 * M, 1), count(5, 6 * M, 1)]
    result = project_target_date(counts, 48 * M, day(5))
    assert result == NoProjection(NoProjectionReason.NOT_GROWING)


def test_one_count_per_passage_fits_across_passages():
    # 1 M (P0, day 0) → 8 M (P1, day 4): 3 doublings in 4 days, Td = 4/3 days.
    # 64 M / 8 M = 3 more doublings = 4 days → day 8.
    counts = [count(0, 1 * M, 0), count(4, 8 * M, 1)]
    result = project_target_date(counts, 64 * M, day(4))
    assert isinstance(result, Projection)
    assert result.method == FitMethod.ALL_COUNTS and result.fitted_passage is None
    assert result.doubling_time_days == pytest.approx(4 / 3)
    assert close_to(result.projected_at, day(8))


def test_target_already_reached_says_when():
    counts = [count(0, 10 * M), count(3, 30 * M), count(6, 70 * M), count(7, 80 * M)]
    result = project_target_date(counts, 62 * M, day(7))
    assert result == NoProjection(NoProjectionReason.REACHED, reached_at=day(6))


def test_counts_after_now_are_not_used():
    # As of day 3 only the first two counts exist: 1 M → 2 M in 2 days, Td = 2 days.
    counts = [count(0, 1 * M), count(2, 2 * M), count(10, 100 * M)]
    result = project_target_date(counts, 64 * M, day(3))
    assert isinstance(result, Projection)
    # 64 M / 2 M = 32 = 5 doublings = 10 days after day 2
    assert close_to(result.projected_at, day(12))


def test_latest_is_unknown_when_slow_end_is_not_growing():
    # Two counts 1 day apart: r = ln(13.46/10) = 0.2972/day (Td ≈ 2.3 days).
    # Sxx = 2 × 0.5² = 0.5, se = 0.10/√0.5 = 0.1414; slow rate r − 2se = 0.0143/day,
    # below ln2/14 = 0.0495 (one doubling a fortnight) → the latest date cannot be said.
    counts = [count(0, 10 * M), count(1, 13.46 * M)]
    result = project_target_date(counts, 60 * M, day(1))
    assert isinstance(result, Projection)
    assert result.latest_at is None
    assert result.earliest_at < result.projected_at


# --- at risk ------------------------------------------------------------------------------

def _projection_at(moment: datetime) -> Projection:
    return Projection(moment, moment, moment, 2.0, 3, FitMethod.CURRENT_PASSAGE, 1, day(4), 4 * M)


def test_at_risk_around_the_planned_date():
    # Projected day 12 = 2025-05-17 10:00 Madrid. Lead time 3 days.
    result = project_target_date([count(0, M), count(2, 2 * M), count(4, 4 * M)], 64 * M, day(5))
    # Procedure 20 May → ready by 17 May: projected 17 May is in time.
    assert not is_at_risk(result, date(2025, 5, 20), 3, MADRID)
    # Procedure 19 May → ready by 16 May: projected 17 May is late.
    assert is_at_risk(result, date(2025, 5, 19), 3, MADRID)


def test_at_risk_uses_the_lab_day_not_the_utc_day():
    # 2025-05-16 22:30 UTC is already 17 May, 00:30, in Madrid.
    late_evening = _projection_at(datetime(2025, 5, 16, 22, 30, tzinfo=UTC))
    assert not is_at_risk(late_evening, date(2025, 5, 19), 3, ZoneInfo("UTC"))
    assert is_at_risk(late_evening, date(2025, 5, 19), 3, MADRID)


@pytest.mark.parametrize(("reason", "risky"), [
    (NoProjectionReason.NOT_GROWING, True),
    (NoProjectionReason.REACHED, False),
    (NoProjectionReason.SINGLE_COUNT, False),
    (NoProjectionReason.NO_COUNTS, False),
])
def test_at_risk_without_a_projection(reason, risky):
    assert is_at_risk(NoProjection(reason), date(2025, 5, 19), 3, MADRID) is risky

