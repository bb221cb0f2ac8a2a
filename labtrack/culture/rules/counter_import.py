"""Turning a counter's readings into counts: matching samples, totals, and what to warn of.

Counters report concentrations; the cells in the culture are the concentration times
the volume of the suspension counted. Warnings never stop an import (the technician
decides, having seen them); a reading that cannot become a count says so instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from labtrack.culture.rules.counter_files import Reading
from labtrack.culture.rules.counting import CountTotals

MAX_VOLUME_ML = Decimal(10_000)
MAX_CELLS = 10**13  # far beyond any culture, well inside the count's columns
VIABILITY_TOLERANCE = Decimal(1)  # percentage points between the file's and ours


@dataclass(frozen=True)
class ImportWarning:
    """Something the technician must see before confirming; ``code`` for translation."""

    code: str
    detail: str = ""


@dataclass(frozen=True)
class ViabilityLimits:
    """The batch's specification for viability (either side may be open)."""

    lower: Decimal | None = None
    upper: Decimal | None = None


def sample_key(text: str) -> str:
    """A sample id as matched against batch numbers and DINs: no spaces, upper case, no
    leading ``=`` (a scanned DIN's data identifier). ``a9999 26 000123`` → ``A999926000123``."""
    return re.sub(r"\s+", "", text or "").upper().removeprefix("=")


def totals(reading: Reading, volume_ml: Decimal) -> CountTotals:
    """Viable and dead cells in the suspension: concentration × volume."""
    return CountTotals(int((reading.live_per_ml * volume_ml).to_integral_value()),
                       int((reading.dead_per_ml * volume_ml).to_integral_value()))


def implausible(found: CountTotals) -> bool:
    """Totals no culture reaches: a wrong volume or a wrong file."""
    return found.total_cells > MAX_CELLS


def volume_problem(volume_ml: Decimal | None) -> str | None:
    """Why a suspension volume cannot be used ("missing", "range"), or None."""
    if volume_ml is None:
        return "missing"
    if not volume_ml.is_finite() or not 0 < volume_ml <= MAX_VOLUME_ML:
        return "range"
    return None


def warnings_for(reading: Reading, limits: ViabilityLimits,
                 computed_viability: Decimal | None) -> list[ImportWarning]:
    """The instrument's warning, a reanalysis, a viability out of specification or not
    matching the live and dead cells, and a count without its time."""
    found = []
    if reading.warning:
        found.append(ImportWarning("instrument", reading.warning))
    if reading.reanalysed:
        found.append(ImportWarning("reanalysed"))
    viability = computed_viability if computed_viability is not None \
        else reading.viability_percent
    if viability is not None and _out_of(limits, viability):
        found.append(ImportWarning("viability_out_of_range", f"{viability:.1f}"))
    if (reading.viability_percent is not None and computed_viability is not None
            and abs(reading.viability_percent - computed_viability) > VIABILITY_TOLERANCE):
        found.append(ImportWarning("viability_mismatch", f"{reading.viability_percent:.1f}"))
    if reading.measured_at is None:
        found.append(ImportWarning("no_time"))
    return found


def _out_of(limits: ViabilityLimits, viability: Decimal) -> bool:
    return ((limits.lower is not None and viability < limits.lower)
            or (limits.upper is not None and viability > limits.upper))


def viability_of(reading: Reading) -> Decimal | None:
    """Viability from the live and dead concentrations, as a count computes it."""
    if reading.total_per_ml == 0:
        return None
    return (reading.live_per_ml * 100 / reading.total_per_ml).quantize(Decimal("0.01"))
