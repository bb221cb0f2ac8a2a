"""The growth charts' scale, one for the batch page (SVG) and the release record (PDF).

Days run linearly along x; viable cells on a log10 scale along y, over whole decades. The
caller gives the plotting area's edges in its own coordinates: SVG's y grows downwards,
the PDF canvas's upwards, and the same arithmetic serves both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Point = tuple[float, float, int]  # (culture day, viable cells, passage)


def plotted(points: Iterable[Point]) -> list[Point]:
    """The points a log scale can show (cells above zero), by culture day."""
    return sorted((p for p in points if p[1] > 0), key=lambda p: p[0])


def decades(values: Sequence[float]) -> tuple[int, int]:
    """The whole decades (log10) that hold every value; at least one decade."""
    lo = math.floor(math.log10(min(values)))
    hi = math.ceil(math.log10(max(values)))
    return lo, hi if hi > lo else lo + 1


@dataclass(frozen=True)
class ChartScale:
    """Maps (day, cells) to the plotting area: x from ``left`` to ``right`` over 0 to
    ``x_max`` days, y from ``bottom`` to ``top`` over the decades ``lo`` to ``hi``."""

    left: float
    right: float
    bottom: float
    top: float
    x_max: float
    lo: int
    hi: int

    def x(self, day: float) -> float:
        return self.left + (self.right - self.left) * min(day, self.x_max) / self.x_max

    def y(self, cells: float) -> float:
        share = (math.log10(cells) - self.lo) / (self.hi - self.lo)
        return self.bottom + (self.top - self.bottom) * share
