"""Keeping the derived summaries (``culture.summary_models``) true to the records they summarise.

Any flush that creates or changes an order, a sample, a batch, a culture step, a count,
a dose, an administration, a release or a QC result marks the order and batch it belongs
to; just before the transaction commits, their summaries are worked out again with the
same rules the pages use (``culture.rules.protocol.work_dates``, ``clinic.rules.readiness``) and
written in the same transaction. The audit trail's commit hook runs first and takes the
chain-head lock, which serialises writers, so the records read here include every
transaction committed before this one.

The summaries depend on settings too (time zone, culture protocol, lead days): the
settings they were worked out with are stored, and when they differ every summary is
worked out again (:func:`ensure_fresh`, called by the pages that read them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from labtrack.clinic import readiness
from labtrack.clinic.rules.readiness import assess, stored_status
from labtrack.clinic.rules.readiness_record import facts_record
from labtrack.culture import counts
from labtrack.culture import steps as culture
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch, CellCount, CultureStep
from labtrack.culture.rules.growth import at_risk_from
from labtrack.culture.rules.protocol import CultureProtocol, culture_state, work_dates
from labtrack.culture.rules.states import BatchState
from labtrack.culture.summary_models import BatchWorklist, OrderStatus, SummaryState
from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.identity.models import Sample
from labtrack.orders.models import TreatmentOrder
from labtrack.quality.models import QcResult, Release

TOUCHED = "summaries_touched"
DEFERRED = "summaries_deferred"  # set while a bulk load defers the work to its end
CHUNK = 500
# Raised when what the summaries hold changes (a migration adds a column): the stored
# settings key no longer matches, so every summary is worked out again (``ensure_fresh``).
SUMMARY_VERSION = 4

# Which attribute of a flushed record names its order or its batch.
ORDER_OF = {TreatmentOrder: "id", Sample: "order_id", Batch: "order_id"}
BATCH_OF = {Batch: "id", CultureStep: "batch_id", CellCount: "batch_id", Dose: "batch_id",
            Release: "batch_id", QcResult: "batch_id"}


@dataclass(frozen=True)
class SummarySettings:
    """What the summaries are worked out with."""

    tz: ZoneInfo
    lead_days: int
    protocol: CultureProtocol

    @classmethod
    def from_config(cls, config: Mapping) -> SummarySettings:
        return cls(ZoneInfo(config["LAB_TIMEZONE"]), int(config["RELEASE_LEAD_DAYS"]),
                   culture.protocol_from_config(config))

    @property
    def key(self) -> str:
        return f"v{SUMMARY_VERSION}|{self.tz.key}|{self.lead_days}|{self.protocol!r}"


@dataclass
class _Touched:
    orders: set[int]
    batches: set[int]
    doses: set[int]


@event.listens_for(Session, "after_flush")
def _collect_touched(session, flush_context):
    touched = session.info.setdefault(TOUCHED, _Touched(set(), set(), set()))
    for obj in (*session.new, *session.dirty):
        kind = type(obj)
        if kind in ORDER_OF:
            touched.orders.add(getattr(obj, ORDER_OF[kind]))
        if kind in BATCH_OF:
            touched.batches.add(getattr(obj, BATCH_OF[kind]))
        if kind is Administration:
            touched.doses.add(obj.dose_id)


@event.listens_for(Session, "before_commit")
def _refresh_touched(session):
    session.flush()
    touched = session.info.pop(TOUCHED, None)
    if touched is None or not has_app_context() or session.info.get(DEFERRED):
        return
    batch_ids = set(touched.batches)
    if touched.doses:
        batch_ids |= set(session.scalars(select(Dose.batch_id)
                                         .where(Dose.id.in_(touched.doses))))
    order_ids = set(touched.orders)
    if order_ids:  # a batch's risk flag depends on its order (target, planned procedure)
        batch_ids |= set(session.scalars(select(Batch.id)
                                         .where(Batch.order_id.in_(order_ids))))
    if batch_ids:
        order_ids |= set(session.scalars(select(Batch.order_id)
                                         .where(Batch.id.in_(batch_ids))))
    if not (order_ids or batch_ids):
        return
    settings, now = SummarySettings.from_config(current_app.config), utcnow()
    refresh_batches(sorted(batch_ids), settings, now)
    refresh_orders(sorted(order_ids), settings, now)


@contextlib.contextmanager
def deferred(session) -> Iterator[None]:
    """Work every summary out once, after a bulk load of many small commits (the demo),
    instead of the touched ones at each commit. Committed at the end."""
    session.info[DEFERRED] = True
    try:
        yield
    finally:
        session.info.pop(DEFERRED, None)
    refresh_all()
    session.commit()


@event.listens_for(Session, "after_rollback")
def _forget_touched(session):
    session.info.pop(TOUCHED, None)


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _upsert(model, key: str, rows: list[dict]) -> None:
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(model).values(rows)
    columns = {name: statement.excluded[name] for name in rows[0] if name != key}
    db.session.execute(statement.on_conflict_do_update(index_elements=[key], set_=columns))


def refresh_batches(batch_ids: Iterable[int], settings: SummarySettings,
                    now: datetime | None = None) -> None:
    """Work out again the worklist summary of these batches."""
    now = now or utcnow()
    for ids in _chunks(list(batch_ids)):
        found = db.session.scalars(select(Batch).where(Batch.id.in_(ids))
                                   .options(joinedload(Batch.order))).all()
        growing = [batch.id for batch in found if batch.state == BatchState.IN_CULTURE.value]
        steps, in_force = culture.step_facts_by_batch(growing), counts.counts_by_batch(growing)
        rows = []
        for batch in found:
            counted = in_force.get(batch.id)
            last_count_at = counted[-1].counted_at if counted else None
            row = {"batch_id": batch.id, "due_on": None, "overdue_on": None, "at_risk": False,
                   "at_risk_from": None,
                   **asdict(culture_state(steps.get(batch.id, ()), last_count_at))}
            if batch.id in steps:
                dates = work_dates(steps[batch.id], settings.tz, settings.protocol,
                                   last_count_at)
                growth = counts.growth_of(batch, in_force[batch.id], now, settings.tz,
                                          settings.lead_days)
                row.update(due_on=dates.due_on, overdue_on=dates.overdue_on,
                           at_risk=growth.at_risk, at_risk_from=at_risk_from(
                               growth.projection, settings.lead_days, settings.tz))
            rows.append(row)
        _upsert(BatchWorklist, "batch_id", rows)


def refresh_orders(order_ids: Iterable[int], settings: SummarySettings,
                   now: datetime | None = None) -> None:
    """Work out again the readiness status of these orders."""
    now = now or utcnow()
    for ids in _chunks(list(order_ids)):
        rows = []
        for row in readiness.facts_of_orders(ids):
            stored = stored_status(assess(row.facts, now, settings.tz, settings.lead_days),
                                   settings.lead_days, settings.tz)
            rows.append({"order_id": row.order.id, "stage": stored.stage.value,
                         "released_until": stored.released_until,
                         "at_risk_from": stored.at_risk_from,
                         "batch_id": row.batch.id if row.batch else None,
                         "facts": facts_record(row.facts)})
        _upsert(OrderStatus, "order_id", rows)


def refresh_all(settings: SummarySettings | None = None) -> None:
    """Work out every summary again (after a settings change, a bulk load or a restore)."""
    settings = settings or SummarySettings.from_config(current_app.config)
    now = utcnow()
    refresh_batches(db.session.scalars(select(Batch.id).order_by(Batch.id)).all(), settings, now)
    refresh_orders(db.session.scalars(select(TreatmentOrder.id).order_by(TreatmentOrder.id))
                   .all(), settings, now)
    _upsert(SummaryState, "id", [{"id": 1, "settings_key": settings.key, "refreshed_at": now}])


# Built once: the pages that read the summaries run it on every view.
STORED_SETTINGS_KEY = select(SummaryState.settings_key).where(SummaryState.id == 1)


def ensure_fresh() -> None:
    """Make sure the summaries were worked out with today's settings; commits if not.

    After a settings change or an upgrade, many requests may find them stale at once: the
    first locks the state row (PostgreSQL) and works them out, the others wait for it and
    then find them fresh.
    """
    settings = SummarySettings.from_config(current_app.config)
    if db.session.scalar(STORED_SETTINGS_KEY) == settings.key:
        return
    stored = db.session.scalar(STORED_SETTINGS_KEY.with_for_update())
    if stored != settings.key:
        refresh_all(settings)
    db.session.commit()
