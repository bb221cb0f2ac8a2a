"""Cell counts: logging, amending (a new count supersedes the wrong one) and reading."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.clock import CLOCK_SKEW
from labtrack.culture import batches, plausibility
from labtrack.culture import steps as culture
from labtrack.culture.models import Batch, CellCount
from labtrack.culture.rules import counting, growth
from labtrack.culture.rules.counting import CountMethod
from labtrack.culture.rules.states import BatchState
from labtrack.database import not_superseded, utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.web.policy import Area, require_area

METHODS = tuple(CountMethod)

COUNT_MESSAGES = {
    "negative": lambda: _("Counts cannot be negative or empty."),
    "missing": lambda: _("Give the dead cells or the total."),
    "viable_above_total": lambda: _("Viable cells cannot exceed the total."),
    "viability_range": lambda: _("Viability must be between 0 and 100 %."),
    "dilution": lambda: _("The dilution factor must be at least 1."),
    "volume": lambda: _("The suspension volume must be above 0 mL."),
}

# A batch takes cell counts while it grows and at its harvest; never once it is released.
COUNTING_STATES = (BatchState.IN_CULTURE, BatchState.HARVESTED)


@dataclass(frozen=True)
class CountData:
    """A count as entered: totals, or chamber counts with dilution and volume."""

    counted_at: datetime
    method: str
    viable_cells: int | None = None
    dead_cells: int | None = None
    total_cells: int | None = None
    viability_percent: Decimal | None = None
    live_counted: Decimal | None = None  # mean live cells per large square
    dead_counted: Decimal | None = None
    dilution: Decimal | None = None
    volume_ml: Decimal | None = None
    passage_number: int | None = None
    source: str = "manual"
    counter_file_id: int | None = None  # the export file an imported count came from
    instrument_serial: str | None = None
    operator: str | None = None
    # Why a value past a soft plausibility limit is right (culture/plausibility.py).
    plausibility_reason: str | None = None


def _refuse(problem: counting.CountProblem):
    raise ServiceError(COUNT_MESSAGES[problem.code](), field=problem.field)


def _totals(data: CountData) -> counting.CountTotals:
    if data.live_counted is not None or data.dead_counted is not None:
        for problem in counting.chamber_problems(data.live_counted, data.dead_counted,
                                                 data.dilution, data.volume_ml):
            _refuse(problem)
        return counting.totals_from_chamber(data.live_counted, data.dead_counted,
                                            data.dilution, data.volume_ml)
    for problem in counting.totals_problems(data.viable_cells, data.dead_cells,
                                            data.total_cells, data.viability_percent):
        _refuse(problem)
    return counting.totals_from_entry(data.viable_cells, data.dead_cells, data.total_cells)


def _check_time(batch: Batch, counted_at: datetime) -> None:
    if counted_at > utcnow() + CLOCK_SKEW:
        raise ServiceError(_("A count cannot be in the future: counted at may be at most "
                             "%(skew)s minutes ahead of the server's clock.",
                             skew=int(CLOCK_SKEW.total_seconds() // 60)), field="counted_at")
    start = batch.seeded_at or batch.started_at
    if counted_at < start - CLOCK_SKEW:
        raise ServiceError(_("A count cannot be before the culture was seeded."),
                           field="counted_at")


def _new_count(acting: User, batch: Batch, data: CountData, *, harvest: bool = False,
               replacing: int | None = None, soft: bool = True) -> CellCount:
    require_area(acting.role, Area.BENCH, _("Only a lab technician may log cell counts."))
    audit.attribute_to(db.session, acting)
    batches.ensure_editable(batch)
    if batch.state not in COUNTING_STATES + ((BatchState.AWAITING_RELEASE,) if harvest else ()):
        raise ServiceError(_("Counts can only be logged while the batch is in culture."))
    if data.method not in METHODS:
        raise ServiceError(_("Choose the counting method."), field="method")
    _check_time(batch, data.counted_at)
    totals = _totals(data)
    if data.viability_percent is not None and abs(
            Decimal(data.viability_percent) - totals.viability_percent) > 1:
        raise ServiceError(_("The viability does not match the live and dead cells."),
                           field="viability_percent")
    passage = culture.current_passage(batch) if data.passage_number is None \
        else data.passage_number
    warning, reason = plausibility.judge(
        batch, totals.viable_cells, data.counted_at, passage, data.plausibility_reason,
        harvest=harvest, replacing=replacing, soft=soft)
    return CellCount(
        batch_id=batch.id, counted_at=data.counted_at, method=data.method,
        passage_number=passage, plausibility_warning=warning, plausibility_reason=reason,
        viable_cells=totals.viable_cells, dead_cells=totals.dead_cells,
        viability_percent=totals.viability_percent, live_counted=data.live_counted,
        dead_counted=data.dead_counted, dilution=data.dilution, volume_ml=data.volume_ml,
        entered_by_id=acting.id, source=data.source, counter_file_id=data.counter_file_id,
        instrument_serial=data.instrument_serial, operator=data.operator,
    )


# Who must hear of a change to a batch's counts, whatever door it came in by (bench form,
# API, counter file): the clinic registers its at-risk check (clinic/at_risk.py), which
# culture may not import. Each watcher flushes only; the use case commits once.
_count_watchers: list[Callable[[Batch], object]] = []


def watch_counts(watcher: Callable[[Batch], object]) -> None:
    """Call ``watcher(batch)`` after every recorded, corrected or withdrawn count."""
    if watcher not in _count_watchers:
        _count_watchers.append(watcher)


def _counts_changed(batch: Batch) -> None:
    for watcher in _count_watchers:
        watcher(batch)


def record_count(acting: User, batch: Batch, data: CountData) -> CellCount:
    """The "log a count" use case: log it, tell the watchers, commit."""
    count = log_count(acting, batch, data)
    _counts_changed(batch)
    db.session.commit()
    return count


def record_counts(acting: User, entries: list[tuple[Batch, CountData]]) -> list[CellCount]:
    """Log several counts (the rows of a counter's file) in one transaction; the watchers
    hear of each batch once, after its last count; one commit."""
    logged = [log_count(acting, batch, data) for batch, data in entries]
    for batch in {batch.id: batch for batch, _data in entries}.values():
        _counts_changed(batch)
    db.session.commit()
    return logged


def record_amendment(acting: User, original: CellCount, data: CountData, why: str) -> CellCount:
    """The "correct a count" use case: a superseding count, the watchers told, one commit."""
    count = amend_count(acting, original, data, why)
    _counts_changed(db.session.get(Batch, original.batch_id))
    db.session.commit()
    return count


def record_void(acting: User, original: CellCount, why: str) -> CellCount:
    """The "withdraw a count" use case: a void entry, the watchers told, one commit."""
    count = void_count(acting, original, why)
    _counts_changed(db.session.get(Batch, original.batch_id))
    db.session.commit()
    return count


def log_count(acting: User, batch: Batch, data: CountData, harvest: bool = False) -> CellCount:
    """Log a count (``harvest``: the final count at harvest); flushes, the caller commits."""
    count = _new_count(acting, batch, data, harvest=harvest)
    db.session.add(count)
    db.session.flush()
    return count


def refusal(acting: User, batch: Batch, data: CountData) -> str | None:
    """Why :func:`log_count` would refuse this count, or None; stores nothing."""
    try:
        _new_count(acting, batch, data)
    except ServiceError as error:
        return error.message
    return None


def amend_count(acting: User, original: CellCount, data: CountData, why: str,
                harvest: bool = False) -> CellCount:
    """Correct a count: a new count supersedes the original, which stays in the record
    (``harvest``: the harvest count, which may be corrected until release)."""
    _check_amendable(original, why)
    batch = db.session.get(Batch, original.batch_id)
    with audit.reason(db.session, why):
        count = _new_count(acting, batch, data, replacing=original.id, harvest=harvest)
        count.supersedes_id = original.id
        count.amendment_reason = why.strip()
        db.session.add(count)
        db.session.flush()
    return count


def void_count(acting: User, original: CellCount, why: str) -> CellCount:
    """Withdraw a count entered in error (a void entry supersedes it)."""
    _check_amendable(original, why)
    batch = db.session.get(Batch, original.batch_id)
    data = CountData(counted_at=original.counted_at, method=original.method,
                     viable_cells=original.viable_cells, dead_cells=original.dead_cells,
                     passage_number=original.passage_number)
    with audit.reason(db.session, why):
        count = _new_count(acting, batch, data, replacing=original.id, soft=False)
        count.supersedes_id, count.amendment_reason, count.is_void = original.id, why, True
        db.session.add(count)
        db.session.flush()
    return count


def _check_amendable(original: CellCount, why: str) -> None:
    if not (why or "").strip():
        raise audit.ReasonRequired(_("A reason is required to correct a count."),
                                   field="reason")
    if original.is_void:
        raise ServiceError(_("A withdrawn count cannot be corrected; log a new count."))
    if is_superseded(original):
        raise ServiceError(_("This count was already corrected; amend the latest version."))


def is_superseded(count: CellCount) -> bool:
    return db.session.scalar(select(CellCount.id).where(CellCount.supersedes_id == count.id)
                             .limit(1)) is not None


def current_counts(batch: Batch) -> list[CellCount]:
    """The batch's counts in force: not superseded, not void, oldest first."""
    return list(db.session.scalars(
        select(CellCount).where(CellCount.batch_id == batch.id, not_superseded(CellCount),
                                CellCount.is_void.is_(False))
        .order_by(CellCount.counted_at, CellCount.id)))


def counts_by_batch(batch_ids: list[int]) -> dict[int, list]:
    """Counts in force for many batches in one query (for the Today worklist).

    Plain rows with the columns growth needs (``counted_at``, ``viable_cells``,
    ``dead_cells``, ``passage_number``): at thousands of batches, building ORM objects
    would cost more than the query.
    """
    grouped: dict[int, list] = {batch_id: [] for batch_id in batch_ids}
    if batch_ids:
        rows = db.session.execute(
            select(CellCount.batch_id, CellCount.counted_at, CellCount.viable_cells,
                   CellCount.dead_cells, CellCount.passage_number)
            .where(CellCount.batch_id.in_(batch_ids), not_superseded(CellCount),
                   CellCount.is_void.is_(False))
            .order_by(CellCount.counted_at, CellCount.id))
        for row in rows:
            grouped[row.batch_id].append(row)
    return grouped


@dataclass(frozen=True)
class CountEntry:
    """A count as the history shows it: in force, or replaced by a later entry."""

    count: CellCount
    replaced_by: CellCount | None

    @property
    def in_force(self) -> bool:
        return self.replaced_by is None and not self.count.is_void


# Built once, as every batch page runs it.
COUNTS_OF_BATCH = (select(CellCount).where(CellCount.batch_id == bindparam("batch_id"))
                   .options(joinedload(CellCount.entered_by),
                            joinedload(CellCount.counter_file))
                   .order_by(CellCount.counted_at, CellCount.id))


def count_history(batch: Batch) -> list[CountEntry]:
    """Every count of the batch, each original followed by its amendments, oldest first."""
    every = list(db.session.scalars(COUNTS_OF_BATCH, {"batch_id": batch.id}))
    successor = {count.supersedes_id: count for count in every if count.supersedes_id}
    entries = []
    for root in (count for count in every if count.supersedes_id is None):
        current = root
        while current is not None:
            entries.append(CountEntry(current, successor.get(current.id)))
            current = successor.get(current.id)
    return entries


def in_force(history: list[CountEntry]) -> list[CellCount]:
    """The counts in force in a :func:`count_history`, as :func:`current_counts` lists them."""
    return sorted((entry.count for entry in history if entry.in_force),
                  key=lambda count: (count.counted_at, count.id))


@dataclass(frozen=True)
class Growth:
    """Where a culture stands against its target, and whether it will make the date."""

    target: int
    latest: CellCount | None
    progress: growth.Progress | None
    projection: growth.Projection | growth.NoProjection
    at_risk: bool
    ready_by: date
    origin: datetime  # seeding, else the start of the batch
    in_force: list  # the counts, oldest first

    @cached_property
    def points(self) -> list[tuple[float, float, int]]:
        """(days since ``origin``, viable cells, passage) of each count, for the chart."""
        return [(max(growth.elapsed_days(self.origin, c.counted_at), 0.0),
                 float(c.viable_cells), c.passage_number) for c in self.in_force]

    @property
    def percent(self) -> int:
        """Progress towards the target for a progress bar, 0–100."""
        return round(self.progress.display_fraction * 100) if self.progress else 0


def growth_of(batch: Batch, counts: list[CellCount], now: datetime, tz: ZoneInfo,
              lead_days: int) -> Growth:
    """Progress, projection and risk from the batch's counts in force (oldest first)."""
    order = batch.order
    target = order.target_cells
    points = [growth.CountPoint(c.counted_at, float(c.viable_cells), c.passage_number,
                                float(c.dead_cells)) for c in counts]
    projection = growth.project_target_date(points, target, now)
    latest = counts[-1] if counts else None
    progress = (growth.progress(latest.viable_cells, target, disc_levels=len(order.levels),
                                qc_reserve=order.qc_reserve_cells) if latest else None)
    watched = batch.state in (BatchState.IN_CULTURE, BatchState.ON_HOLD)
    return Growth(
        target=target, latest=latest, progress=progress, projection=projection,
        at_risk=watched and (growth.is_at_risk(projection, order.planned_procedure_date,
                                               lead_days, tz)
                             or growth.ready_date_passed(projection, lead_days, now, tz)),
        ready_by=order.planned_procedure_date - timedelta(days=lead_days),
        origin=batch.seeded_at or batch.started_at, in_force=counts,
    )
