"""Is a cell count plausible? Hard limits (refused) and soft limits (confirmed with a reason).

A *hard* limit is a value that cannot be true: more cells than the culture's surface can
hold (``CultureProtocol.max_cells_per_cm2``). Negative numbers and viability above 100 %
are refused by ``culture.rules.counting``.

A *soft* limit is a value the biology and the batch's own history make unlikely, so a
typing slip (55 for 5.5, an extra zero) is caught, but a real surprise can still be
recorded by a technician who confirms it with a reason. Each is configurable in the
protocol (``CultureProtocol``):

- a doubling time, from the previous count, shorter than ``min_doubling_time_days``;
- a count more than ``max_above_projection`` times the cells projected from the earlier
  counts (the growth rate fitted by ``growth.project_target_date``);
- a count (not a harvest) more than ``max_target_multiple`` times the batch's target;
- a harvest more than ``harvest_max_ratio`` times above or below both the last count and
  the cells projected at that moment;
- the first count after a passage below the last count before it ÷ the split ratio, by
  more than ``split_tolerance_percent``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from labtrack.culture.rules.growth import (
    CountPoint,
    Projection,
    doubling_time_days,
    elapsed_days,
    project_target_date,
)
from labtrack.culture.rules.protocol import CultureProtocol

# Forms take times to the minute: what was recorded up to a minute after a new count's
# time was done before it (a count logged at 10:00:40, then a harvest typed at 10:00).
SAME_MINUTE = timedelta(minutes=1)
# Two counts closer than this are judged as if this far apart (a recount the same hour
# is no growth at all, and would give a doubling time of almost nothing).
MIN_INTERVAL_DAYS = 0.25


class Soft(StrEnum):
    """Which soft limit a count is past."""

    FAST_DOUBLING = "fast_doubling"
    ABOVE_PROJECTION = "above_projection"
    ABOVE_TARGET = "above_target"
    HARVEST_FAR = "harvest_far"
    BELOW_SPLIT = "below_split"


@dataclass(frozen=True)
class Finding:
    """A soft limit passed, with the numbers that show it (cells are whole cells)."""

    code: Soft
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PassageFact:
    """A passage as plausibility needs it: when, and its split ratio as typed ("1:3")."""

    at: datetime
    split_ratio: str | None


@dataclass(frozen=True)
class CountContext:
    """What a new count is judged against: the batch's earlier counts and passages."""

    earlier: Sequence[CountPoint]  # counts in force, any order
    passages: Sequence[PassageFact] = ()
    target_cells: float = 0
    surface_cm2: float | None = None  # the current passage's culture surface, if recorded


def split_factor(ratio: str | None) -> float | None:
    """How many times a passage divides the cells: "1:3" → 3, "1 : 2.5" → 2.5; else None."""
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*[:/]\s*(\d+(?:[.,]\d+)?)\s*", ratio or "")
    if not match:
        return None
    part, whole = (float(number.replace(",", ".")) for number in match.groups())
    return whole / part if part > 0 and whole >= part else None


def surface_limit(viable_cells: float, context: CountContext,
                  protocol: CultureProtocol) -> float | None:
    """The most cells the recorded surface can hold, when ``viable_cells`` is above it."""
    if not context.surface_cm2 or context.surface_cm2 <= 0:
        return None
    limit = context.surface_cm2 * protocol.max_cells_per_cm2
    return limit if viable_cells > limit else None


def _before(context: CountContext, at: datetime) -> list[CountPoint]:
    return sorted((c for c in context.earlier if c.at < at + SAME_MINUTE), key=lambda c: c.at)


def _fast_doubling(new: CountPoint, previous: CountPoint | None,
                   protocol: CultureProtocol) -> Finding | None:
    if previous is None or previous.viable_cells <= 0 or new.viable_cells <= previous.viable_cells:
        return None
    days = max(elapsed_days(previous.at, new.at), MIN_INTERVAL_DAYS)
    doubling = doubling_time_days(previous.viable_cells, new.viable_cells, days)
    if doubling is None or doubling >= protocol.min_doubling_time_days:
        return None
    return Finding(Soft.FAST_DOUBLING, {"doubling_days": round(doubling, 2),
                                        "minimum_days": protocol.min_doubling_time_days,
                                        "previous": previous.viable_cells})


def projected_cells(earlier: Sequence[CountPoint], at: datetime) -> float | None:
    """The viable cells the earlier counts' growth projects at ``at`` (None: no rate)."""
    if not earlier:
        return None
    target = max(c.viable_cells for c in earlier) * 1e6  # far above: always a projection
    projection = project_target_date(earlier, target, earlier[-1].at)
    if not isinstance(projection, Projection):
        return None
    rate = math.log(2) / projection.doubling_time_days
    return projection.anchor_cells * math.exp(rate * elapsed_days(projection.anchor_at, at))


def _above_projection(new: CountPoint, earlier: list[CountPoint],
                      protocol: CultureProtocol) -> Finding | None:
    expected = projected_cells(earlier, new.at)
    if expected is None or new.viable_cells <= expected * protocol.max_above_projection:
        return None
    return Finding(Soft.ABOVE_PROJECTION, {"projected": round(expected),
                                           "multiple": protocol.max_above_projection})


def _above_target(new: CountPoint, context: CountContext,
                  protocol: CultureProtocol) -> Finding | None:
    if context.target_cells <= 0:
        return None
    if new.viable_cells <= context.target_cells * protocol.max_target_multiple:
        return None
    return Finding(Soft.ABOVE_TARGET, {"target": context.target_cells,
                                       "multiple": protocol.max_target_multiple})


def _harvest_far(new: CountPoint, earlier: list[CountPoint],
                 protocol: CultureProtocol) -> Finding | None:
    """Far from the last count and from the projection (a harvest may be either)."""
    if not earlier:
        return None
    projected = projected_cells(earlier, new.at)
    references = [value for value in (earlier[-1].viable_cells, projected) if value]
    limit = protocol.harvest_max_ratio
    if not references or any(1 / limit <= new.viable_cells / value <= limit
                             for value in references):
        return None
    nearest = min(references, key=lambda value: abs(math.log(new.viable_cells / value))
                  if new.viable_cells > 0 else 0)
    return Finding(Soft.HARVEST_FAR, {"expected": round(nearest), "ratio": limit})


def _below_split(new: CountPoint, earlier: list[CountPoint], context: CountContext,
                 protocol: CultureProtocol) -> Finding | None:
    """The first count after a passage against the last count before it ÷ the split ratio."""
    passages = sorted((p for p in context.passages if p.at < new.at + SAME_MINUTE),
                      key=lambda p: p.at)
    if not passages or not earlier:
        return None
    passage = passages[-1]
    if any(c.at > passage.at for c in earlier):
        return None  # not the first count after the passage
    before = [c for c in earlier if c.at <= passage.at]
    factor = split_factor(passage.split_ratio)
    if not before or factor is None:
        return None
    expected = before[-1].viable_cells / factor
    if new.viable_cells >= expected * (1 - protocol.split_tolerance_percent / 100):
        return None
    return Finding(Soft.BELOW_SPLIT, {"expected": round(expected), "split": passage.split_ratio,
                                      "before": before[-1].viable_cells})


def soft_findings(new: CountPoint, context: CountContext, protocol: CultureProtocol,
                  harvest: bool = False) -> list[Finding]:
    """Every soft limit ``new`` is past, judged against the counts taken before it."""
    earlier = _before(context, new.at)
    previous = earlier[-1] if earlier else None
    checks = [_fast_doubling(new, previous, protocol),
              _above_projection(new, earlier, protocol),
              _below_split(new, earlier, context, protocol)]
    # A harvest is judged against the counts, not the target: a culture grown to its
    # harvest day may well end far above it.
    checks.append(_harvest_far(new, earlier, protocol) if harvest
                  else _above_target(new, context, protocol))
    return [finding for finding in checks if finding is not None]
