"""Culture growth maths: viability, population doublings, progress and the target forecast."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from labtrack import clock

SECONDS_PER_DAY = 86_400.0


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("times must be timezone-aware")


@dataclass(frozen=True)
class CountPoint:
    """One cell count: total viable cells in the culture at a moment, in a passage (0 = primary)."""

    at: datetime
    viable_cells: float
    passage: int
    dead_cells: float | None = None

    def __post_init__(self) -> None:
        _require_aware(self.at)
        if self.viable_cells < 0 or (self.dead_cells is not None and self.dead_cells < 0):
            raise ValueError("cell numbers cannot be negative")
        if self.passage < 0:
            raise ValueError("passage cannot be negative")


@dataclass(frozen=True)
class PassageYield:
    """Cells seeded and harvested in one passage."""

    passage: int
    seeded: float
    harvested: float
    seeded_at: datetime
    harvested_at: datetime


@dataclass(frozen=True)
class PassageDoublings:
    """Population doublings of one passage and the running total up to it."""

    passage: int
    doublings: float
    cumulative: float
    doubling_time_days: float | None


def _utc(moment: datetime) -> datetime:
    """The same instant in UTC (same-zone datetime arithmetic in Python is wall-clock)."""
    _require_aware(moment)
    return moment.astimezone(UTC)


def elapsed_days(start: datetime, end: datetime) -> float:
    """Fractional days from ``start`` to ``end`` in absolute time (a DST day lasts 23 or 25 h)."""
    return (_utc(end) - _utc(start)).total_seconds() / SECONDS_PER_DAY


def _after_days(start: datetime, days: float) -> datetime:
    """The instant ``days`` of absolute time after ``start``, in ``start``'s zone."""
    return (_utc(start) + timedelta(days=days)).astimezone(start.tzinfo)


def viability_percent(live: float, dead: float) -> float:
    """Viability % = live / (live + dead) × 100."""
    if live < 0 or dead < 0:
        raise ValueError("cell numbers cannot be negative")
    if live + dead == 0:
        raise ValueError("no cells counted: viability is undefined")
    return live / (live + dead) * 100.0


def population_doublings(n_start: float, n_end: float) -> float:
    """PD = log2(n_end / n_start); negative when the population shrank."""
    if n_start <= 0 or n_end <= 0:
        raise ValueError("cell numbers must be positive")
    return math.log2(n_end / n_start)


def doubling_time_days(n_start: float, n_end: float, delta_days: float) -> float | None:
    """Doubling time = Δt × ln 2 / ln(n_end / n_start); None when the population did not grow."""
    if delta_days <= 0:
        raise ValueError("the interval must be positive")
    if population_doublings(n_start, n_end) <= 0:
        return None
    return delta_days * math.log(2) / math.log(n_end / n_start)


def passage_doublings(yields: Sequence[PassageYield]) -> list[PassageDoublings]:
    """Doublings per passage, in passage order, with the cumulative sum (as given, P0 included)."""
    rows, total = [], 0.0
    for y in sorted(yields, key=lambda y: y.passage):
        pd = population_doublings(y.seeded, y.harvested)
        total += pd
        dt = doubling_time_days(y.seeded, y.harvested, elapsed_days(y.seeded_at, y.harvested_at))
        rows.append(PassageDoublings(y.passage, pd, total, dt))
    return rows


def cumulative_doublings(yields: Sequence[PassageYield]) -> float:
    """Cumulative population doublings: the sum over the passages given."""
    return sum(population_doublings(y.seeded, y.harvested) for y in yields)


def culture_day(seeded_at: datetime, at: datetime, tz: ZoneInfo) -> int:
    """Culture day of ``at``: local calendar days in ``tz`` since seeding (seeding day = 0)."""
    if elapsed_days(seeded_at, at) < 0:
        raise ValueError("the time is before seeding")
    return clock.culture_day(seeded_at, at, tz)


def target_cells(cells_per_disc: float, disc_levels: int, qc_reserve: float = 0) -> float:
    """Batch target = cells per disc × disc levels + cells reserved for QC samples."""
    if cells_per_disc <= 0 or disc_levels < 1 or qc_reserve < 0:
        raise ValueError("need positive cells per disc, at least one disc level, reserve ≥ 0")
    return float(cells_per_disc * disc_levels + qc_reserve)


@dataclass(frozen=True)
class Progress:
    """How far a culture is towards its target."""

    fraction: float  # raw viable / target, may exceed 1
    display_fraction: float  # clamped to 0..1 for progress bars
    per_disc_now: float  # cells per disc level if harvested now, after the QC reserve
    missing: float  # cells still needed, 0 once reached

    @property
    def reached(self) -> bool:
        """True once the viable count meets the target."""
        return self.fraction >= 1.0


def progress(
    viable_now: float, target: float, *, disc_levels: int, qc_reserve: float = 0
) -> Progress:
    """Progress of ``viable_now`` towards ``target`` (from :func:`target_cells`)."""
    if target <= 0 or disc_levels < 1 or viable_now < 0 or qc_reserve < 0:
        raise ValueError("need a positive target, at least one disc level, no negative cells")
    fraction = viable_now / target
    return Progress(
        fraction=fraction,
        display_fraction=min(fraction, 1.0),
        per_disc_now=max(viable_now - qc_reserve, 0.0) / disc_levels,
        missing=max(target - viable_now, 0.0),
    )


class FitMethod(StrEnum):
    """Which counts gave the growth rate of a projection."""

    CURRENT_PASSAGE = "current_passage"  # fit of the current passage's counts
    EARLIER_PASSAGE = "earlier_passage"  # rate of the latest passage with ≥ 2 counts
    ALL_COUNTS = "all_counts"  # no passage has 2 counts: fit across passages


class NoProjectionReason(StrEnum):
    """Why there is no projection."""

    NO_COUNTS = "no_counts"
    SINGLE_COUNT = "single_count"
    NOT_GROWING = "not_growing"
    REACHED = "reached"


@dataclass(frozen=True)
class Projection:
    """When the viable count should reach the target, with a range from the rate's uncertainty."""

    projected_at: datetime
    earliest_at: datetime
    latest_at: datetime | None  # None: the slow end of the range never reaches the target
    doubling_time_days: float
    points_used: int
    method: FitMethod
    fitted_passage: int | None  # passage whose counts gave the rate; None for ALL_COUNTS
    anchor_at: datetime  # the latest count, where the projection starts
    anchor_cells: float


@dataclass(frozen=True)
class NoProjection:
    """No projection, and why; ``reached_at`` is set when the reason is REACHED."""

    reason: NoProjectionReason
    reached_at: datetime | None = None


@dataclass(frozen=True)
class _Fit:
    rate: float  # ln(cells) per day
    stderr: float
    points: int


def _fit_log_linear(counts: Sequence[CountPoint], count_cv: float) -> _Fit | None:
    """Least squares of ln(viable) on days; None without two distinct times."""
    xs = [elapsed_days(counts[0].at, c.at) for c in counts]
    ys = [math.log(c.viable_cells) for c in counts]
    n = len(xs)
    x_mean, y_mean = sum(xs) / n, sum(ys) / n
    sxx = sum((x - x_mean) ** 2 for x in xs)
    if n < 2 or sxx <= 0:
        return None
    slope = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / sxx
    stderr = count_cv / math.sqrt(sxx)  # floor: counting error alone
    if n >= 3:
        ssr = sum((y - y_mean - slope * (x - x_mean)) ** 2 for x, y in zip(xs, ys, strict=True))
        stderr = max(stderr, math.sqrt(ssr / (n - 2) / sxx))
    return _Fit(slope, stderr, n)


def _choose_fit(
    counts: Sequence[CountPoint], max_points: int, count_cv: float
) -> tuple[_Fit, FitMethod, int | None] | None:
    """The current passage's fit, else the latest earlier passage's, else one across all counts."""
    current = counts[-1].passage
    for passage in dict.fromkeys(c.passage for c in reversed(counts)):  # most recent first
        fit = _fit_log_linear([c for c in counts if c.passage == passage][-max_points:], count_cv)
        if fit is not None:
            method = FitMethod.CURRENT_PASSAGE if passage == current else FitMethod.EARLIER_PASSAGE
            return fit, method, passage
    fit = _fit_log_linear(counts[-max_points:], count_cv)
    return (fit, FitMethod.ALL_COUNTS, None) if fit is not None else None


def _reached_at(counts: Sequence[CountPoint], target: float) -> datetime | None:
    """Start of the final run of counts at or above target; None if the latest is below it."""
    reached = None
    for count in reversed(counts):
        if count.viable_cells < target:
            break
        reached = count.at
    return reached


def project_target_date(
    counts: Sequence[CountPoint],
    target: float,
    now: datetime,
    *,
    max_points: int = 5,
    count_cv: float = 0.10,
    max_doubling_time_days: float = 14.0,
) -> Projection | NoProjection:
    """Forecast when the viable count reaches ``target``, from counts taken up to ``now``.

    Rate: least-squares slope of ln(viable cells) against time over the last ``max_points``
    counts of the current passage (if it has counts at two distinct times); otherwise the
    rate of the most recent passage that has, or failing that a fit across all counts.
    The projection starts at the latest count (a passage resets the curve, so the fitted
    line's own level is not used). Counts of zero cannot be log-fitted and are skipped.

    Range: rate ± 2 standard errors (roughly 95 %). The standard error is the larger of
    the residual one (three or more points) and ``count_cv`` / √Sxx, the error that the
    counting CV alone (default 10 %, haemocytometer or automated counter) puts on the
    slope; with two points only the latter exists, and it widens as counts get closer in
    time. ``latest_at`` is None when the slow rate is too small to say.

    No projection: no counts, a single count, a rate not above
    ln 2 / ``max_doubling_time_days`` (flat or falling: "not_growing"), or the latest
    count already at target ("reached", with when). A projected date before ``now``
    means the target should already be reached: count again.
    """
    if target <= 0 or max_points < 2:
        raise ValueError("need a positive target and at least two points per fit")
    taken = sorted((c for c in counts if _utc(c.at) <= _utc(now)), key=lambda c: _utc(c.at))
    if not taken:
        return NoProjection(NoProjectionReason.NO_COUNTS)
    reached = _reached_at(taken, target)
    if reached is not None:
        return NoProjection(NoProjectionReason.REACHED, reached_at=reached)
    anchor = taken[-1]
    if anchor.viable_cells <= 0:
        return NoProjection(NoProjectionReason.NOT_GROWING)
    positive = [c for c in taken if c.viable_cells > 0]
    if len(positive) < 2:
        return NoProjection(NoProjectionReason.SINGLE_COUNT)
    chosen = _choose_fit(positive, max_points, count_cv)
    if chosen is None:
        return NoProjection(NoProjectionReason.SINGLE_COUNT)
    fit, method, passage = chosen
    min_rate = math.log(2) / max_doubling_time_days
    if fit.rate <= min_rate:
        return NoProjection(NoProjectionReason.NOT_GROWING)
    gap = math.log(target / anchor.viable_cells)
    slow = fit.rate - 2 * fit.stderr
    return Projection(
        projected_at=_after_days(anchor.at, gap / fit.rate),
        earliest_at=_after_days(anchor.at, gap / (fit.rate + 2 * fit.stderr)),
        latest_at=_after_days(anchor.at, gap / slow) if slow > min_rate else None,
        doubling_time_days=math.log(2) / fit.rate,
        points_used=fit.points,
        method=method,
        fitted_passage=passage,
        anchor_at=anchor.at,
        anchor_cells=anchor.viable_cells,
    )


def count_overdue(latest: CountPoint | None, seeded_at: datetime | None, now: datetime,
                  tz: ZoneInfo, interval_days: int | None) -> bool:
    """True when a culture has had no count (before the first: since its seeding) for
    longer than ``interval_days`` local days; never when there is no interval or seeding."""
    if interval_days is None or seeded_at is None:
        return False
    since = max(latest.at, seeded_at) if latest else seeded_at
    return (now.astimezone(tz).date() - since.astimezone(tz).date()).days > interval_days


def ready_date_passed(projection: Projection | NoProjection | None, lead_time_days: int,
                      now: datetime, tz: ZoneInfo) -> bool:
    """True when the projected ready day (target day + lead days) is before today's date.

    The counts said the target would be reached by then and no count since says it was:
    the projection has aged, and the batch is at risk until it is counted again.
    """
    start = at_risk_from(projection, lead_time_days, tz)
    return start is not None and _utc(now) >= _utc(start)


def at_risk_from(projection: Projection | NoProjection | None, lead_time_days: int,
                 tz: ZoneInfo) -> datetime | None:
    """The moment :func:`ready_date_passed` becomes true: the start of the local day after
    the projected ready day (stored with the summaries, compared with now when read)."""
    if not isinstance(projection, Projection):
        return None
    ready = projection.projected_at.astimezone(tz).date() + timedelta(days=lead_time_days)
    return datetime.combine(ready + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def is_at_risk(
    projection: Projection | NoProjection,
    planned_procedure_date: date,
    lead_time_days: int,
    tz: ZoneInfo,
) -> bool:
    """True when the target may come too late for the planned procedure.

    Cells must reach target on or before the local day (in ``tz``) that is
    ``lead_time_days`` before the procedure (harvest, formulation, QC). At risk when
    the *projected* (central) date falls after that day, or when there is no projection
    because the culture is not growing. Not at risk once the target is reached, nor
    when there are too few counts to judge (no counts, a single count).
    """
    if isinstance(projection, NoProjection):
        return projection.reason == NoProjectionReason.NOT_GROWING
    if isinstance(planned_procedure_date, datetime):
        planned_procedure_date = planned_procedure_date.astimezone(tz).date()
    ready_by = planned_procedure_date - timedelta(days=lead_time_days)
    return projection.projected_at.astimezone(tz).date() > ready_by
