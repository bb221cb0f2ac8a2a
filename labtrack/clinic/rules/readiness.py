"""Dose readiness: what the treating clinician needs to know about one order, from plain facts.

One status per order, in words a clinician uses (``Status``), worked out from the order's
latest sample, its batch, the batch's counts and its doses. The same facts give the
progress towards the target per disc level, the projected ready date with its range, the
time left before each released dose expires, and the alerts that need attention.

Decisions recorded here:
- A batch rejected by QA or terminated leaves the order *awaiting sample* (a new
  collection is needed), with an alert saying why.
- A batch on hold keeps the status of the state it was held from, with an alert.
- A released batch is *expired* when every dose not yet administered has expired, and
  *administered* when every dose has been administered (or the batch is completed).
- The projected *ready* date is the day the cells reach the target plus the lead days for
  harvest, formulation and QC; the order is *at risk* when that is after the procedure
  (``growth.is_at_risk``), or when the culture is not growing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from labtrack.culture.rules.growth import (
    CountPoint,
    NoProjection,
    NoProjectionReason,
    Progress,
    Projection,
    at_risk_from,
    count_overdue,
    culture_day,
    is_at_risk,
    progress,
    project_target_date,
    ready_date_passed,
)
from labtrack.culture.rules.states import BatchState

SAMPLE_REJECTED_STATUS = "rejected"


class Status(StrEnum):
    """Where an order stands, for the clinician (in the order of the journey)."""

    AWAITING_SAMPLE = "awaiting_sample"
    SAMPLE_REJECTED = "sample_rejected"
    IN_CULTURE = "in_culture"
    AT_RISK = "at_risk"
    AWAITING_RELEASE = "awaiting_release"
    RELEASED = "released"
    EXPIRED = "expired"
    ADMINISTERED = "administered"


class Alert(StrEnum):
    """Something the clinician should act on or know about."""

    AT_RISK = "at_risk"
    SAMPLE_REJECTED = "sample_rejected"
    BATCH_REJECTED = "batch_rejected"
    BATCH_TERMINATED = "batch_terminated"
    ON_HOLD = "on_hold"
    EXCEPTIONAL_RELEASE = "exceptional_release"
    OUT_OF_SPECIFICATION = "out_of_specification"  # a result that arrived after release failed
    EXPIRES_BEFORE_PROCEDURE = "expires_before_procedure"
    COUNT_OVERDUE = "count_overdue"  # no count for longer than the protocol's interval
    READY_DATE_PASSED = "ready_date_passed"  # the projected ready day passed, target not met


@dataclass(frozen=True)
class DoseFacts:
    """One formulated dose as stored."""

    code: str
    disc_level: str
    viable_cells: int
    expires_at: datetime
    administered_at: datetime | None = None


@dataclass(frozen=True)
class OrderFacts:
    """Everything the readiness of one order is worked out from.

    ``batch_state`` is the order's batch in progress, else the batch of its latest
    sample; ``sample_status`` is the latest sample's receipt status.
    """

    planned_procedure_date: date
    disc_levels: tuple[str, ...]
    cells_per_disc: int
    qc_reserve_cells: int = 0
    sample_status: str | None = None
    batch_state: str | None = None
    held_from: str | None = None
    seeded_at: datetime | None = None
    counts: tuple[CountPoint, ...] = ()
    harvested_cells: int | None = None
    released_at: datetime | None = None
    exceptional_release: bool = False
    doses: tuple[DoseFacts, ...] = ()
    pending_tests: tuple[str, ...] = ()  # results still pending (after release)
    failed_after_release: tuple[str, ...] = ()  # results after release out of specification

    @property
    def target_cells(self) -> int:
        return self.cells_per_disc * len(self.disc_levels) + self.qc_reserve_cells


@dataclass(frozen=True)
class LevelProgress:
    """Cells for one disc level now against the cells ordered per disc."""

    disc_level: str
    cells: float | None  # None: nothing counted yet
    fraction: float  # may exceed 1
    display_fraction: float  # clamped to 0..1 for a progress bar

    @property
    def percent(self) -> int:
        return round(self.fraction * 100)

    @property
    def bar_percent(self) -> int:
        """The progress bar's value, 0–100."""
        return round(self.display_fraction * 100)


@dataclass(frozen=True)
class DoseState:
    """A dose and how long it has left."""

    code: str
    disc_level: str
    viable_cells: int
    expires_at: datetime
    administered_at: datetime | None
    time_left: timedelta  # negative once expired

    @property
    def administered(self) -> bool:
        return self.administered_at is not None

    @property
    def expired(self) -> bool:
        return not self.administered and self.time_left <= timedelta(0)


@dataclass(frozen=True)
class ReadyDate:
    """The day doses could be ready: target date plus the lead days, with its range."""

    projected: date
    earliest: date
    latest: date | None  # None: the slow end of the range never reaches the target


@dataclass(frozen=True)
class Readiness:
    """The readiness of one order at one moment."""

    status: Status
    alerts: tuple[Alert, ...]
    culture_day: int | None
    cells_now: float | None
    target_cells: int
    progress: Progress | None
    levels: tuple[LevelProgress, ...]
    projection: Projection | NoProjection | None
    ready: ReadyDate | None
    ready_by: date  # the last day the target may be reached for the planned procedure
    doses: tuple[DoseState, ...]
    pending_tests: tuple[str, ...]
    failed_after_release: tuple[str, ...]

    @property
    def at_risk(self) -> bool:
        return Alert.AT_RISK in self.alerts

    @property
    def target_reached_at(self) -> datetime | None:
        projection = self.projection
        if isinstance(projection, NoProjection):
            return projection.reached_at
        return None


def assess(facts: OrderFacts, now: datetime, tz: ZoneInfo, lead_days: int,
           count_interval_days: int | None = None) -> Readiness:
    """The readiness of an order at ``now`` (aware); ``tz`` is the lab's time zone.

    It ages: a projected ready day before today's date puts the order at risk, and a
    culture not counted for longer than ``count_interval_days`` has its count overdue.
    """
    state = _effective_state(facts)
    projection = _projection(facts, state, now)
    passed = ready_date_passed(projection, lead_days, now, tz)
    at_risk = projection is not None and (passed or is_at_risk(
        projection, facts.planned_procedure_date, lead_days, tz))
    doses = tuple(_dose_state(dose, now) for dose in facts.doses)
    status = _status(facts, state, at_risk, doses)
    aged = ((Alert.READY_DATE_PASSED, passed),
            (Alert.COUNT_OVERDUE, state is BatchState.IN_CULTURE and count_overdue(
                _latest_count(facts), facts.seeded_at, now, tz, count_interval_days)))
    return Readiness(
        status=status,
        alerts=_alerts(facts, status, at_risk, doses, tz)
        + tuple(alert for alert, raised in aged if raised),
        culture_day=_culture_day(facts, state, now, tz),
        cells_now=_cells_now(facts),
        target_cells=facts.target_cells,
        progress=_overall_progress(facts),
        levels=level_progress(facts),
        projection=projection,
        ready=ready_date(projection, lead_days, tz),
        ready_by=facts.planned_procedure_date - timedelta(days=lead_days),
        doses=doses,
        pending_tests=facts.pending_tests if facts.released_at else (),
        failed_after_release=facts.failed_after_release,
    )


@dataclass(frozen=True)
class StoredStatus:
    """A readiness status that can be stored and read back at any later moment.

    Every status stays as it is until the order's records change, except that released
    doses expire: ``stage`` is the status with *expired* read as *released*, and
    ``released_until`` is when the last dose still to be given expires.
    """

    stage: Status
    released_until: datetime | None = None
    at_risk_from: datetime | None = None  # in culture: when the projected ready day passes

    def status_at(self, now: datetime) -> Status:
        if (self.stage is Status.RELEASED and self.released_until is not None
                and self.released_until <= now):
            return Status.EXPIRED
        if (self.stage is Status.IN_CULTURE and self.at_risk_from is not None
                and self.at_risk_from <= now):
            return Status.AT_RISK
        return self.stage


def stored_status(readiness: Readiness, lead_days: int = 0,
                  tz: ZoneInfo | None = None) -> StoredStatus:
    """What to store of ``readiness`` so that ``status_at`` gives its status at any moment
    (``lead_days`` and ``tz``: those it was assessed with, for the at-risk date)."""
    if readiness.status is Status.IN_CULTURE and tz is not None:
        return StoredStatus(readiness.status,
                            at_risk_from=at_risk_from(readiness.projection, lead_days, tz))
    if readiness.status not in (Status.RELEASED, Status.EXPIRED):
        return StoredStatus(readiness.status)
    remaining = [dose.expires_at for dose in readiness.doses if not dose.administered]
    return StoredStatus(Status.RELEASED, max(remaining, default=None))


def _effective_state(facts: OrderFacts) -> BatchState | None:
    """The batch's state, reading a hold as the state it was held from."""
    if facts.batch_state is None:
        return None
    state = BatchState(facts.batch_state)
    if state is BatchState.ON_HOLD:
        return BatchState(facts.held_from) if facts.held_from else BatchState.IN_CULTURE
    return state


def _projection(facts: OrderFacts, state: BatchState | None,
                now: datetime) -> Projection | NoProjection | None:
    if state is not BatchState.IN_CULTURE:
        return None
    return project_target_date(facts.counts, facts.target_cells, now)


def _status(facts: OrderFacts, state: BatchState | None, at_risk: bool,
            doses: Sequence[DoseState]) -> Status:
    if state is None:
        if facts.sample_status == SAMPLE_REJECTED_STATUS:
            return Status.SAMPLE_REJECTED
        return Status.AWAITING_SAMPLE
    if state in (BatchState.REJECTED, BatchState.TERMINATED):
        return Status.AWAITING_SAMPLE
    if state is BatchState.COMPLETED:
        return Status.ADMINISTERED
    if state is BatchState.IN_CULTURE:
        return Status.AT_RISK if at_risk else Status.IN_CULTURE
    if state in (BatchState.HARVESTED, BatchState.AWAITING_RELEASE):
        return Status.AWAITING_RELEASE
    return _released_status(doses)


def _released_status(doses: Sequence[DoseState]) -> Status:
    remaining = [dose for dose in doses if not dose.administered]
    if doses and not remaining:
        return Status.ADMINISTERED
    if remaining and all(dose.expired for dose in remaining):
        return Status.EXPIRED
    return Status.RELEASED


def _alerts(facts: OrderFacts, status: Status, at_risk: bool, doses: Sequence[DoseState],
            tz: ZoneInfo) -> tuple[Alert, ...]:
    state = BatchState(facts.batch_state) if facts.batch_state else None
    checks = (
        (Alert.AT_RISK, at_risk),
        (Alert.SAMPLE_REJECTED, status is Status.SAMPLE_REJECTED),
        (Alert.BATCH_REJECTED, state is BatchState.REJECTED),
        (Alert.BATCH_TERMINATED, state is BatchState.TERMINATED),
        (Alert.ON_HOLD, state is BatchState.ON_HOLD),
        (Alert.EXCEPTIONAL_RELEASE, facts.released_at is not None and facts.exceptional_release),
        (Alert.OUT_OF_SPECIFICATION, bool(facts.failed_after_release)),
        (Alert.EXPIRES_BEFORE_PROCEDURE,
         status is Status.RELEASED and _expires_before(facts.planned_procedure_date, doses, tz)),
    )
    return tuple(alert for alert, raised in checks if raised)


def _expires_before(planned: date, doses: Sequence[DoseState], tz: ZoneInfo) -> bool:
    """True when a dose still to be given expires on a day before the planned procedure."""
    return any(dose.expires_at.astimezone(tz).date() < planned
               for dose in doses if not dose.administered and not dose.expired)


def _dose_state(dose: DoseFacts, now: datetime) -> DoseState:
    return DoseState(dose.code, dose.disc_level, dose.viable_cells, dose.expires_at,
                     dose.administered_at, dose.expires_at - now)


def _culture_day(facts: OrderFacts, state: BatchState | None, now: datetime,
                 tz: ZoneInfo) -> int | None:
    if state is not BatchState.IN_CULTURE or facts.seeded_at is None or now < facts.seeded_at:
        return None
    return culture_day(facts.seeded_at, now, tz)


def _latest_count(facts: OrderFacts) -> CountPoint | None:
    return max(facts.counts, key=lambda count: count.at, default=None)


def _cells_now(facts: OrderFacts) -> float | None:
    """Viable cells in the batch now: the doses, else the harvest, else the latest count."""
    if facts.doses:
        return float(sum(dose.viable_cells for dose in facts.doses))
    if facts.harvested_cells is not None:
        return float(facts.harvested_cells)
    latest = _latest_count(facts)
    return latest.viable_cells if latest else None


def _overall_progress(facts: OrderFacts) -> Progress | None:
    """Cells now against the target; once formulated, the doses against the ordered doses."""
    cells, levels = _cells_now(facts), len(facts.disc_levels)
    if cells is None or not levels or facts.cells_per_disc <= 0:
        return None
    if facts.doses:
        return progress(cells, facts.cells_per_disc * levels, disc_levels=levels)
    return progress(cells, facts.target_cells, disc_levels=levels,
                    qc_reserve=facts.qc_reserve_cells)


def level_progress(facts: OrderFacts) -> tuple[LevelProgress, ...]:
    """Cells per disc level against the cells ordered per disc.

    Once doses are formulated each level has its own dose; before that the culture is
    shared, so each level gets an equal share of the cells after the QC reserve.
    """
    by_level = {dose.disc_level: float(dose.viable_cells) for dose in facts.doses}
    overall = _overall_progress(facts)
    shared = overall.per_disc_now if overall is not None and not facts.doses else None
    rows = []
    for level in facts.disc_levels:
        cells = by_level.get(level, shared)
        fraction = (cells or 0.0) / facts.cells_per_disc if facts.cells_per_disc > 0 else 0.0
        rows.append(LevelProgress(level, cells, fraction, min(max(fraction, 0.0), 1.0)))
    return tuple(rows)


def ready_date(projection: Projection | NoProjection | None, lead_days: int,
               tz: ZoneInfo) -> ReadyDate | None:
    """The projected ready day (target day plus ``lead_days``), with its range; None if unknown."""
    lead = timedelta(days=lead_days)
    if isinstance(projection, NoProjection) and \
            projection.reason is NoProjectionReason.REACHED and projection.reached_at:
        day = projection.reached_at.astimezone(tz).date() + lead
        return ReadyDate(day, day, day)
    if not isinstance(projection, Projection):
        return None
    latest = projection.latest_at.astimezone(tz).date() + lead if projection.latest_at else None
    return ReadyDate(projection.projected_at.astimezone(tz).date() + lead,
                     projection.earliest_at.astimezone(tz).date() + lead, latest)
