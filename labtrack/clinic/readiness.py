"""Dose readiness for many orders at once (a fixed number of queries), and one batch's growth."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, and_, bindparam, case, select
from sqlalchemy.orm import joinedload

from labtrack.clinic.rules import readiness as rules
from labtrack.clinic.rules.readiness import DoseFacts, OrderFacts, Readiness, ReadyDate, Status
from labtrack.clinic.rules.readiness_record import facts_from_record, is_current
from labtrack.culture import counts
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch, CellCount
from labtrack.culture.rules.growth import (
    CountPoint,
    NoProjection,
    Progress,
    Projection,
    culture_day,
    is_at_risk,
    progress,
    project_target_date,
    ready_date_passed,
)
from labtrack.culture.rules.states import BatchState
from labtrack.culture.summary_models import OrderStatus
from labtrack.database import not_superseded, utcnow
from labtrack.extensions import db
from labtrack.identity.models import Sample
from labtrack.orders.models import TreatmentOrder
from labtrack.qms.models import SpecificationTest
from labtrack.quality.models import QcResult, Release
from labtrack.web.pagination import Page, paginate

FINISHED = (BatchState.REJECTED.value, BatchState.TERMINATED.value)
GROWING = (BatchState.IN_CULTURE.value, BatchState.ON_HOLD.value)
AFTER_RELEASE = (BatchState.RELEASED.value, BatchState.COMPLETED.value)
AT_RISK_NOTICE, BACK_ON_TRACK_NOTICE = "at_risk", "back_on_track"


@dataclass(frozen=True)
class ReadinessSettings:
    """The lab's time zone and the days needed from target to procedure."""

    tz: ZoneInfo
    lead_days: int
    count_interval_days: int | None = None  # None: a count is never overdue

    @classmethod
    def from_config(cls, config: Mapping) -> ReadinessSettings:
        return cls(ZoneInfo(config["LAB_TIMEZONE"]), int(config["RELEASE_LEAD_DAYS"]),
                   int(config["CULTURE_COUNT_INTERVAL_DAYS"]))


@dataclass(frozen=True)
class ReadinessFilter:
    """Which orders to show; cancelled orders are never shown."""

    clinician_id: int | None = None
    statuses: frozenset[Status] | None = None  # None: every status
    order_number: str | None = None


@dataclass(frozen=True)
class OrderReadiness:
    """One row of the readiness list: the order, its batch and its readiness."""

    order: TreatmentOrder
    batch: Batch | None
    readiness: Readiness


@dataclass
class _Loaded:
    """What the queries brought back, keyed for assembling facts.

    Samples and releases are plain rows of the columns read here (``id, status`` and
    ``decision, decided_at, exceptional``): a page of orders reads dozens of them.
    """

    latest_sample: dict[int, Row] = field(default_factory=dict)
    batches: dict[int, list[Batch]] = field(default_factory=dict)
    counts: dict[int, list[CountPoint]] = field(default_factory=dict)
    doses: dict[int, list[DoseFacts]] = field(default_factory=dict)
    releases: dict[int, Row] = field(default_factory=dict)
    pending: dict[int, list[str]] = field(default_factory=dict)
    failed: dict[int, list[str]] = field(default_factory=dict)


def _order_conditions(filters: ReadinessFilter) -> list:
    conditions = [TreatmentOrder.cancelled_reason.is_(None)]
    if filters.clinician_id is not None:
        conditions.append(TreatmentOrder.treating_clinician_id == filters.clinician_id)
    if filters.order_number is not None:
        conditions.append(TreatmentOrder.order_number == filters.order_number.strip().upper())
    return conditions


def stored_status_column(now: datetime):
    """The status of each order at ``now``, from its stored summary (``OrderStatus``)."""
    expired = and_(OrderStatus.stage == Status.RELEASED.value,
                   OrderStatus.released_until <= now)
    aged = and_(OrderStatus.stage == Status.IN_CULTURE.value, OrderStatus.at_risk_from <= now)
    return case((expired, Status.EXPIRED.value), (aged, Status.AT_RISK.value),
                else_=OrderStatus.stage)


# Built once (with its loader options, the costly part to build); each view adds its
# filters. Soonest planned procedure first.
LISTED_ORDERS = (select(TreatmentOrder)
                 .join(OrderStatus, OrderStatus.order_id == TreatmentOrder.id)
                 .options(joinedload(TreatmentOrder.patient),
                          joinedload(TreatmentOrder.treating_clinician))
                 .order_by(TreatmentOrder.planned_procedure_date, TreatmentOrder.id))


def _listed(filters: ReadinessFilter, now: datetime) -> Select:
    """The orders matching ``filters``, with their patient and clinician, in list order."""
    query = LISTED_ORDERS.where(*_order_conditions(filters))
    if filters.statuses is not None:
        query = query.where(stored_status_column(now).in_(
            sorted(status.value for status in filters.statuses)))
    return query


def readiness_page(filters: ReadinessFilter, settings: ReadinessSettings, page: int,
                   per_page: int, now: datetime | None = None) -> Page:
    """One page of the matching orders, soonest planned procedure first.

    Orders are filtered and paged on their stored status, and each row is assessed from
    the facts stored with it (``clinic.summaries`` keeps both up to date; call
    ``summaries.ensure_fresh`` first): four queries whatever the number of orders.
    """
    now = now or utcnow()
    found = paginate(_listed(filters, now), page, per_page)
    return replace(found, items=_assess_stored(found.items, settings, now))


# Built once, as the readiness list runs them on every view.
STORED_FACTS = (select(OrderStatus.order_id, OrderStatus.batch_id, OrderStatus.facts)
                .where(OrderStatus.order_id.in_(bindparam("ids", expanding=True))))
BATCHES_BY_ID = select(Batch).where(Batch.id.in_(bindparam("ids", expanding=True)))


def _assess_stored(orders: list[TreatmentOrder], settings: ReadinessSettings,
                   now: datetime) -> list[OrderReadiness]:
    """Each order assessed from its stored facts; from its records where none are stored
    in the current record version (rows loaded without the application)."""
    stored = {row.order_id: row for row in db.session.execute(
        STORED_FACTS, {"ids": [order.id for order in orders]})} if orders else {}
    batch_ids = [row.batch_id for row in stored.values() if row.batch_id is not None]
    batches = {batch.id: batch for batch in db.session.scalars(
        BATCHES_BY_ID, {"ids": batch_ids})} if batch_ids else {}
    readable = {order_id: row for order_id, row in stored.items() if is_current(row.facts)}
    from_records = {row.order.id: row for row in _assess(
        [order for order in orders if order.id not in readable], settings, now)}
    rows = []
    for order in orders:
        if order.id in from_records:
            rows.append(from_records[order.id])
            continue
        row = readable[order.id]
        facts = facts_from_record(row.facts, _order_facts(order))
        rows.append(OrderReadiness(order, batches.get(row.batch_id), rules.assess(
            facts, now, settings.tz, settings.lead_days, settings.count_interval_days)))
    return rows


def readiness_list(filters: ReadinessFilter, settings: ReadinessSettings,
                   now: datetime | None = None) -> list[OrderReadiness]:
    """Every matching order with its readiness, soonest planned procedure first."""
    now = now or utcnow()
    return _assess(db.session.scalars(_listed(filters, now)).all(), settings, now)


@dataclass(frozen=True)
class OrderFactsRow:
    """An order, its batch in progress (else its latest sample's), and their facts."""

    order: TreatmentOrder
    batch: Batch | None
    facts: OrderFacts


def facts_of_orders(order_ids: list[int]) -> list[OrderFactsRow]:
    """The readiness facts of these orders (cancelled ones too), in eight queries."""
    found = db.session.scalars(select(TreatmentOrder).where(TreatmentOrder.id.in_(order_ids))
                               .order_by(TreatmentOrder.id)).all()
    return _facts_rows(found)


def _facts_rows(orders: list[TreatmentOrder]) -> list[OrderFactsRow]:
    if not orders:
        return []
    loaded = _load([order.id for order in orders])
    rows = []
    for order in orders:
        batch = _current_batch(order, loaded)
        rows.append(OrderFactsRow(order, batch, _facts(order, batch, loaded)))
    return rows


def _assess(found: list[TreatmentOrder], settings: ReadinessSettings,
            now: datetime) -> list[OrderReadiness]:
    return [OrderReadiness(row.order, row.batch, rules.assess(
        row.facts, now, settings.tz, settings.lead_days, settings.count_interval_days))
        for row in _facts_rows(found)]


def order_readiness(order: TreatmentOrder, settings: ReadinessSettings,
                    now: datetime | None = None) -> OrderReadiness:
    """One order's readiness (also for a cancelled order), from its records."""
    return _assess([order], settings, now or utcnow())[0]


def _load(order_ids: list[int]) -> _Loaded:
    """Everything the readiness of these orders needs, in seven queries of known ids."""
    loaded = _Loaded()
    for sample in db.session.execute(select(Sample.order_id, Sample.id, Sample.status)
                                     .where(Sample.order_id.in_(order_ids))
                                     .order_by(Sample.received_at, Sample.id)):
        loaded.latest_sample[sample.order_id] = sample
    found = db.session.scalars(select(Batch).where(Batch.order_id.in_(order_ids))
                               .order_by(Batch.id)).all()
    for batch in found:
        loaded.batches.setdefault(batch.order_id, []).append(batch)
    batch_ids = [batch.id for batch in found]
    _load_counts(loaded, [batch.id for batch in found if batch.state in GROWING])
    _load_doses(loaded, batch_ids)
    for release in db.session.execute(
            select(Release.batch_id, Release.decision, Release.decided_at, Release.exceptional)
            .where(Release.batch_id.in_(batch_ids))):
        loaded.releases[release.batch_id] = release
    _load_results(loaded, [batch.id for batch in found if batch.state in AFTER_RELEASE])
    return loaded


def _load_counts(loaded: _Loaded, batch_ids: list[int]) -> None:
    rows = db.session.execute(
        select(CellCount.batch_id, CellCount.counted_at, CellCount.viable_cells,
               CellCount.passage_number)
        .where(CellCount.batch_id.in_(batch_ids), not_superseded(CellCount),
               CellCount.is_void.is_(False))
        .order_by(CellCount.counted_at, CellCount.id))
    for batch_id, at, viable, passage in rows:
        loaded.counts.setdefault(batch_id, []).append(CountPoint(at, float(viable), passage))


def _load_doses(loaded: _Loaded, batch_ids: list[int]) -> None:
    rows = db.session.execute(
        select(Dose.batch_id, Dose.dose_code, Dose.disc_level, Dose.viable_cells,
               Dose.expires_at, Administration.administered_at)
        .outerjoin(Administration, Administration.dose_id == Dose.id)
        .where(Dose.batch_id.in_(batch_ids), Dose.superseded_by_id.is_(None))
        .order_by(Dose.id))
    for batch_id, *facts in rows:
        loaded.doses.setdefault(batch_id, []).append(DoseFacts(*facts))


def _load_results(loaded: _Loaded, batch_ids: list[int]) -> None:
    """Results still pending after release, and results after release that failed."""
    results = db.session.execute(
        select(QcResult.batch_id, QcResult.test_code, QcResult.verdict, QcResult.after_release)
        .where(QcResult.batch_id.in_(batch_ids), not_superseded(QcResult))).all()
    tests = db.session.execute(
        select(Batch.id, SpecificationTest.code, SpecificationTest.name,
               SpecificationTest.may_be_pending)
        .join(SpecificationTest, SpecificationTest.specification_id == Batch.specification_id)
        .where(Batch.id.in_(batch_ids)).order_by(SpecificationTest.position)).all()
    verdicts = {(batch_id, code): (verdict, after) for batch_id, code, verdict, after in results}
    for batch_id, code, name, may_be_pending in tests:
        verdict, after = verdicts.get((batch_id, code), (None, False))
        if may_be_pending and verdict in (None, "pending"):
            loaded.pending.setdefault(batch_id, []).append(name)
        if after and verdict == "fail":
            loaded.failed.setdefault(batch_id, []).append(name)


def _current_batch(order: TreatmentOrder, loaded: _Loaded) -> Batch | None:
    """The batch in progress, else the batch started from the latest sample."""
    batches = loaded.batches.get(order.id, [])
    active = [batch for batch in batches if batch.state not in FINISHED]
    if active:
        return active[-1]
    latest = loaded.latest_sample.get(order.id)
    return next((batch for batch in batches if latest and batch.sample_id == latest.id), None)


def _order_facts(order: TreatmentOrder) -> OrderFacts:
    """The facts that are the order's own fields."""
    return OrderFacts(planned_procedure_date=order.planned_procedure_date,
                      disc_levels=order.levels, cells_per_disc=order.cells_per_disc,
                      qc_reserve_cells=order.qc_reserve_cells)


def _facts(order: TreatmentOrder, batch: Batch | None, loaded: _Loaded) -> OrderFacts:
    sample = loaded.latest_sample.get(order.id)
    common = replace(_order_facts(order), sample_status=sample.status if sample else None)
    if batch is None:
        return common
    release = loaded.releases.get(batch.id)
    released = release is not None and release.decision == "released"
    return replace(
        common, batch_state=batch.state, held_from=batch.held_from, seeded_at=batch.seeded_at,
        counts=tuple(loaded.counts.get(batch.id, ())),
        harvested_cells=batch.final_viable_cells,
        released_at=release.decided_at if released else None,
        exceptional_release=released and release.exceptional,
        doses=tuple(loaded.doses.get(batch.id, ())),
        pending_tests=tuple(loaded.pending.get(batch.id, ())),
        failed_after_release=tuple(loaded.failed.get(batch.id, ())))


def statuses_of(rows: Iterable[OrderReadiness]) -> dict[Status, int]:
    """How many rows have each status."""
    tally = dict.fromkeys(Status, 0)
    for row in rows:
        tally[row.readiness.status] += 1
    return tally


# --- one batch's growth, and the at-risk notice ----------------------------------------------


@dataclass(frozen=True)
class BatchGrowth:
    """A batch's counts in force, progress, projection and risk, at one moment."""

    counts: list[CellCount]
    progress: Progress | None
    projection: Projection | NoProjection
    ready: ReadyDate | None
    at_risk: bool
    culture_day: int | None
    ready_passed: bool = False  # at risk because the projected ready day went by


def batch_growth(batch: Batch, settings: ReadinessSettings,
                 now: datetime | None = None) -> BatchGrowth:
    """Where one batch's culture stands against its order's target."""
    now = now or utcnow()
    order = batch.order
    rows = counts.current_counts(batch)
    points = [CountPoint(c.counted_at, float(c.viable_cells), c.passage_number) for c in rows]
    projection = project_target_date(points, order.target_cells, now)
    growing = batch.state in GROWING
    latest = rows[-1].viable_cells if rows else None
    passed = ready_date_passed(projection, settings.lead_days, now, settings.tz)
    return BatchGrowth(
        counts=rows,
        progress=progress(latest, order.target_cells, disc_levels=len(order.levels),
                          qc_reserve=order.qc_reserve_cells) if latest is not None else None,
        projection=projection,
        ready=rules.ready_date(projection, settings.lead_days, settings.tz),
        at_risk=growing and (is_at_risk(projection, order.planned_procedure_date,
                                        settings.lead_days, settings.tz) or passed),
        ready_passed=growing and passed,
        culture_day=(culture_day(batch.seeded_at, now, settings.tz)
                     if growing and batch.seeded_at and batch.seeded_at <= now else None))
