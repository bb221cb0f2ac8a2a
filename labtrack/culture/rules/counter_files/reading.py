"""What every counter file gives: one reading per count, whatever the instrument."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum


class CounterFormat(StrEnum):
    """The export formats LabTrack reads, each with its own parser."""

    NC_202 = "nc202"  # ChemoMetec NucleoCounter NC-202, NC-View CSV export
    NC_200 = "nc200"  # ChemoMetec NucleoCounter NC-200, NucleoView key;value export
    VICELL_BLU = "vicell_blu"  # Beckman Coulter Vi-CELL BLU CSV export
    VICELL_XR = "vicell_xr"  # Beckman Coulter Vi-CELL XR export


@dataclass(frozen=True)
class Reading:
    """One count as the counter wrote it: concentrations per mL, never totals.

    ``measured_at`` is the wall-clock time written in the file; ``utc_offset`` is set
    when the file says which offset that clock showed (else it is the lab's time).
    ``warning`` is the instrument's own warning (its status), empty when all was well.
    """

    line: int  # where the row starts in the file, for messages
    sample_id: str
    measured_at: datetime | None
    live_per_ml: Decimal
    dead_per_ml: Decimal
    viability_percent: Decimal | None = None
    operator: str = ""
    instrument_serial: str = ""
    diameter_um: Decimal | None = None
    dilution: Decimal | None = None
    volume_ml: Decimal | None = None  # the suspension volume, when the file gives it
    status: str = ""
    warning: str = ""
    reanalysed: bool = False
    utc_offset: timedelta | None = None

    @property
    def total_per_ml(self) -> Decimal:
        return self.live_per_ml + self.dead_per_ml


@dataclass(frozen=True)
class CounterReadout:
    """A whole file, read: its format and its readings in file order."""

    format: CounterFormat
    readings: tuple[Reading, ...] = field(default_factory=tuple)


class FileRefused(ValueError):  # noqa: N818 (a refusal, not a crash)
    """The file cannot be read as a counter export; ``code`` names why, for translation.

    ``params`` fill the translated message (``line``, ``column``, ``value``…).
    """

    def __init__(self, code: str, message: str, **params) -> None:
        super().__init__(message % params if params else message)
        self.code, self.params = code, params
