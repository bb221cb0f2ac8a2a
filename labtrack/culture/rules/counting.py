"""Cell count arithmetic and plausibility rules (haemocytometer or automated counter)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

# One large square of a Neubauer haemocytometer holds 0.1 µL: count per square × 10⁴ = cells/mL.
CHAMBER_FACTOR = Decimal(10_000)


class CountMethod(StrEnum):
    """How the cells were counted."""

    HAEMOCYTOMETER = "haemocytometer"
    AUTOMATED = "automated"


@dataclass(frozen=True)
class CountProblem:
    """An impossible value: stable code, English message, the field concerned."""

    code: str
    message: str
    field: str


@dataclass(frozen=True)
class CountTotals:
    viable_cells: int
    dead_cells: int

    @property
    def total_cells(self) -> int:
        return self.viable_cells + self.dead_cells

    @property
    def viability_percent(self) -> Decimal:
        if self.total_cells == 0:
            return Decimal(0)
        return (Decimal(self.viable_cells) * 100 / self.total_cells).quantize(Decimal("0.01"))


def totals_from_chamber(live_per_square: Decimal, dead_per_square: Decimal,
                        dilution: Decimal, volume_ml: Decimal) -> CountTotals:
    """Totals in the suspension from mean counts per large square, dilution and volume."""
    per_ml = CHAMBER_FACTOR * dilution * volume_ml
    return CountTotals(int(live_per_square * per_ml), int(dead_per_square * per_ml))


def chamber_problems(live, dead, dilution, volume_ml) -> list[CountProblem]:
    """Missing or impossible chamber inputs."""
    problems = []
    for field, value in (("live_counted", live), ("dead_counted", dead)):
        if value is None or value < 0:
            problems.append(CountProblem("negative", "Counts cannot be negative or empty", field))
    if dilution is None or dilution < 1:
        problems.append(CountProblem("dilution", "The dilution factor must be at least 1",
                                     "dilution"))
    if volume_ml is None or volume_ml <= 0:
        problems.append(CountProblem("volume", "The suspension volume must be above 0 mL",
                                     "volume_ml"))
    return problems


def totals_problems(viable, dead, total=None, viability=None) -> list[CountProblem]:
    """Impossible totals: negatives, viable above total, viability outside 0–100 %."""
    problems = []
    if viable is None or viable < 0:
        problems.append(CountProblem("negative", "Viable cells cannot be negative or empty",
                                     "viable_cells"))
    if dead is None and total is None:
        problems.append(CountProblem("missing", "Give dead cells or the total", "dead_cells"))
    if dead is not None and dead < 0:
        problems.append(CountProblem("negative", "Dead cells cannot be negative", "dead_cells"))
    if total is not None and viable is not None and viable > total:
        problems.append(CountProblem("viable_above_total",
                                     "Viable cells cannot exceed the total", "viable_cells"))
    if viability is not None and not 0 <= viability <= 100:
        problems.append(CountProblem("viability_range", "Viability must be between 0 and 100 %",
                                     "viability_percent"))
    return problems


def totals_from_entry(viable: int, dead: int | None, total: int | None) -> CountTotals:
    """Totals as entered (dead cells, or the total from which they follow)."""
    return CountTotals(viable, dead if dead is not None else total - viable)


def millions(cells: int) -> str:
    """A cell count as people write it: "20 × 10⁶", "15.5 × 10⁶"."""
    value = round(Decimal(cells) / 1_000_000, 2)
    return f"{format(value.normalize(), 'f')} × 10⁶"
