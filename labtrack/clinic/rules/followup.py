"""Follow-up after the injection: pain scales, the visit schedule and its windows, and the
vocabulary of a visit (global impression of change, analgesics, MRI findings)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum


class PainScale(StrEnum):
    """How pain is rated: a 0–10 numeric rating scale or a 0–100 mm visual analogue scale."""

    NRS = "nrs"
    VAS = "vas"


SCALE_MAX = {PainScale.NRS: 10, PainScale.VAS: 100}


def pain_in_range(value: int | Decimal | None, scale: PainScale) -> bool:
    """True when ``value`` is a whole rating the scale can give (None: not rated)."""
    if value is None:
        return True
    return value == int(value) and 0 <= value <= SCALE_MAX[PainScale(scale)]


def as_nrs(value: int | Decimal | None, scale: PainScale) -> Decimal | None:
    """A rating on the 0–10 scale, so ratings on either scale compare (VAS mm ÷ 10)."""
    if value is None:
        return None
    return Decimal(value) if PainScale(scale) is PainScale.NRS else Decimal(value) / 10


class Pgic(StrEnum):
    """Patient's global impression of change, the usual seven points."""

    VERY_MUCH_IMPROVED = "very_much_improved"
    MUCH_IMPROVED = "much_improved"
    MINIMALLY_IMPROVED = "minimally_improved"
    NO_CHANGE = "no_change"
    MINIMALLY_WORSE = "minimally_worse"
    MUCH_WORSE = "much_worse"
    VERY_MUCH_WORSE = "very_much_worse"


class Analgesics(StrEnum):
    """Analgesic use since the last visit."""

    NONE = "none"
    OCCASIONAL = "occasional"
    REGULAR_NON_OPIOID = "regular_non_opioid"
    OPIOID = "opioid"


PFIRRMANN_GRADES = (1, 2, 3, 4, 5)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}
MAX_DISC_HEIGHT_MM = Decimal(30)


@dataclass(frozen=True)
class PlannedVisit:
    """One visit of the schedule: days after the injection and its window (days either
    side). The baseline is at day 0 with a window before the injection only."""

    key: str
    offset_days: int
    before_days: int
    after_days: int


BASELINE = "baseline"
DEFAULT_SCHEDULE = (
    PlannedVisit(BASELINE, 0, 30, 0),
    PlannedVisit("week_1", 7, 3, 4),
    PlannedVisit("month_3", 91, 14, 14),
    PlannedVisit("month_6", 182, 21, 21),
    PlannedVisit("month_12", 365, 30, 30),
)
DEFAULT_SCHEDULE_TEXT = "baseline:0:30:0, week_1:7:3:4, month_3:91:14:14, " \
                        "month_6:182:21:21, month_12:365:30:30"


class ScheduleError(ValueError):
    """A schedule setting that cannot be read."""


def parse_schedule(text: str) -> tuple[PlannedVisit, ...]:
    """Read ``key:offset:before:after`` entries separated by commas (the setting's form)."""
    visits = []
    for entry in (part.strip() for part in text.split(",")):
        pieces = entry.split(":")
        if len(pieces) != 4 or not pieces[0].isidentifier():
            raise ScheduleError(f"not key:offset:before:after: {entry!r}")
        try:
            offset, before, after = (int(piece) for piece in pieces[1:])
        except ValueError:
            raise ScheduleError(f"not whole days: {entry!r}") from None
        if before < 0 or after < 0 or offset < 0:
            raise ScheduleError(f"negative days: {entry!r}")
        visits.append(PlannedVisit(pieces[0], offset, before, after))
    keys = [visit.key for visit in visits]
    if len(set(keys)) != len(keys) or BASELINE not in keys:
        raise ScheduleError("keys must be unique and include the baseline")
    return tuple(sorted(visits, key=lambda visit: visit.offset_days))


@dataclass(frozen=True)
class Window:
    """A planned visit's dates for one patient."""

    key: str
    due: date
    opens: date
    closes: date

    def holds(self, day: date) -> bool:
        return self.opens <= day <= self.closes


def windows(injected_on: date, schedule: Sequence[PlannedVisit] = DEFAULT_SCHEDULE
            ) -> list[Window]:
    """Each planned visit's due date and window from the day of the injection."""
    return [Window(visit.key, injected_on + timedelta(days=visit.offset_days),
                   injected_on + timedelta(days=visit.offset_days - visit.before_days),
                   injected_on + timedelta(days=visit.offset_days + visit.after_days))
            for visit in schedule]


class VisitState(StrEnum):
    """Where a planned visit stands on a given day."""

    DONE = "done"
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"


def visit_state(window: Window, today: date, recorded: bool) -> VisitState:
    """Done once recorded; due inside its window; overdue once the window has closed."""
    if recorded:
        return VisitState.DONE
    if today < window.opens:
        return VisitState.UPCOMING
    return VisitState.DUE if today <= window.closes else VisitState.OVERDUE


def schedule_states(injected_on: date, today: date, recorded: Iterable[str],
                    schedule: Sequence[PlannedVisit] = DEFAULT_SCHEDULE
                    ) -> list[tuple[Window, VisitState]]:
    """Every planned visit with its state for a patient injected on ``injected_on``."""
    done = set(recorded)
    return [(window, visit_state(window, today, window.key in done))
            for window in windows(injected_on, schedule)]
