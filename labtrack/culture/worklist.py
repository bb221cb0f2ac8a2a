"""Reading the bench: the Today worklist, the batch list and a batch's timeline."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Row, Select, bindparam, case, func, or_, select
from sqlalchemy.orm import joinedload

from labtrack import clock
from labtrack.accounts.models import Signature
from labtrack.culture.models import Batch, CultureStep, CultureStepEquipment, CultureStepLot
from labtrack.culture.rules.protocol import CultureProtocol, Task, TaskStatus, tasks_at
from labtrack.culture.rules.states import BatchState
from labtrack.culture.summary_models import BatchWorklist
from labtrack.database import UTCDateTime
from labtrack.extensions import db
from labtrack.inventory.models import Equipment, ReagentLot
from labtrack.orders.models import TreatmentOrder
from labtrack.qms.models import Deviation
from labtrack.web.pagination import Page, paginate

# The at-risk notice above the worklist names this many batches (and says how many more);
# longer, it would push the worklist off the screen. Each worklist row is marked too.
AT_RISK_SHOWN = 10


@dataclass(frozen=True)
class BatchWork:
    """One batch in culture: its culture day, passage, tasks due now and its risk flag."""

    batch: Batch
    day: int | None
    passage: int
    tasks: list[Task]
    at_risk: bool  # as stored with the worklist summary (projected to miss its procedure)

    @property
    def overdue(self) -> bool:
        return any(task.status == TaskStatus.OVERDUE for task in self.tasks)


@dataclass(frozen=True)
class AtRisk:
    """A batch in culture projected to miss its planned procedure."""

    batch: Batch
    ready_by: date  # the last day the cells may reach the target


@dataclass(frozen=True)
class Worklist:
    page: Page  # items: BatchWork with something due, most urgent first
    at_risk: list[AtRisk]  # the first of them, by batch number
    at_risk_total: int | None  # None: more than the lists' count cap
    in_culture: int | None  # counted only when nothing is due


# Built once, as Today runs them on every view (building a statement with its joins and
# options costs about as much as running it). ``on``: the lab's date today.
_ON = bindparam("on", type_=Date)
DUE_FIRST_MOST_URGENT = (
    select(BatchWorklist.batch_id).where(BatchWorklist.due_on <= _ON)
    .order_by(case((BatchWorklist.overdue_on <= _ON, 0), else_=1),
              case((BatchWorklist.at_risk, 0), else_=1), BatchWorklist.batch_id))
_NOW = bindparam("now", type_=UTCDateTime)
AT_RISK_BY_NUMBER = (
    select(Batch).join(BatchWorklist, BatchWorklist.batch_id == Batch.id)
    .where(or_(BatchWorklist.at_risk.is_(True), BatchWorklist.at_risk_from <= _NOW))
    .order_by(BatchWorklist.batch_id)
    .options(joinedload(Batch.order).joinedload(TreatmentOrder.patient)))
WORK_OF_BATCHES = (
    select(Batch, BatchWorklist).join(BatchWorklist, BatchWorklist.batch_id == Batch.id)
    .where(Batch.id.in_(bindparam("ids", expanding=True)))
    .options(joinedload(Batch.order).joinedload(TreatmentOrder.patient)))


def today(now: datetime, tz: ZoneInfo, protocol: CultureProtocol, lead_days: int,
          page: int = 1, per_page: int = 50) -> Worklist:
    """The worklist at ``now``: batches with a task due, most urgent first, one page of them.

    Which batches have a task due, overdue or are at risk comes from their stored
    summaries (``clinic.summaries``; call ``summaries.ensure_fresh`` first), which are
    set only for batches in culture. They are ranked on the summary table alone, and the
    page's tasks are worked out from the culture state stored with them: no step is read.
    """
    due = paginate(DUE_FIRST_MOST_URGENT, page, per_page,
                   params={"on": now.astimezone(tz).date()})
    due = replace(due, items=_work(due.items, now, tz, protocol))
    at_risk = paginate(AT_RISK_BY_NUMBER, 1, AT_RISK_SHOWN, params={"now": now})
    return Worklist(
        page=due,
        at_risk=[AtRisk(batch, batch.order.planned_procedure_date - timedelta(days=lead_days))
                 for batch in at_risk.items],
        at_risk_total=at_risk.total,
        in_culture=db.session.scalar(
            select(func.count()).where(Batch.state == BatchState.IN_CULTURE.value))
        if due.total == 0 else None)


def _work(ids: list[int], now: datetime, tz: ZoneInfo,
          protocol: CultureProtocol) -> list[BatchWork]:
    """The work of these batches, in the order of ``ids``, from their stored summaries."""
    found = {batch.id: (batch, summary) for batch, summary in db.session.execute(
        WORK_OF_BATCHES, {"ids": ids})} if ids else {}
    return [BatchWork(
        batch=batch,
        day=local_day(batch, now, tz),
        passage=summary.passages,
        tasks=[task for task in tasks_at(summary.culture, now, tz, protocol) if task.actionable],
        at_risk=summary.at_risk or (summary.at_risk_from is not None
                                    and summary.at_risk_from <= now),
    ) for batch, summary in (found[batch_id] for batch_id in ids)]


def batches_query(state: str | None = None, clinician_id: int | None = None) -> Select:
    """Batches, newest first; optionally one state, or one treating clinician's."""
    query = (select(Batch).join(Batch.order)
             .options(joinedload(Batch.order).joinedload(TreatmentOrder.patient))
             .order_by(Batch.started_at.desc(), Batch.id.desc()))
    if state in {s.value for s in BatchState}:
        query = query.where(Batch.state == state)
    if clinician_id is not None:
        query = query.where(TreatmentOrder.treating_clinician_id == clinician_id)
    return query


def local_day(batch: Batch, moment: datetime, tz: ZoneInfo) -> int | None:
    """Culture day of ``moment`` in local calendar days (day 0 = seeding; negative before)."""
    if batch.seeded_at is None:
        return None
    return clock.culture_day(batch.seeded_at, moment, tz)


@dataclass(frozen=True)
class TimelineDay:
    day: int | None  # None: not seeded yet
    date: date
    steps: list[CultureStep]


def timeline(batch: Batch, steps: list[CultureStep], tz: ZoneInfo) -> list[TimelineDay]:
    """The steps grouped by culture day, in the order performed."""
    days: list[TimelineDay] = []
    for step in steps:
        day, when = local_day(batch, step.performed_at, tz), step.performed_at.astimezone(tz)
        if days and days[-1].date == when.date():
            days[-1].steps.append(step)
        else:
            days.append(TimelineDay(day, when.date(), [step]))
    return days


@dataclass(frozen=True)
class StepLinks:
    """What the steps point to: signatures and deviations by id, lots and equipment by step.

    Lots and equipment are plain rows (``lot_id, material, lot_number, quantity`` and
    ``item_id, identifier``): a batch page shows dozens and only reads these columns.
    """

    signatures: dict[int, Signature]
    deviations: dict[int, Deviation]
    lots: dict[int, list[Row]]
    equipment: dict[int, list[Row]]


def step_links(steps: list[CultureStep]) -> StepLinks:
    """The signatures, deviations, lots and equipment of the steps, a query each."""
    signature_ids = [s.verification_signature_id for s in steps if s.verification_signature_id]
    deviation_ids = [s.deviation_id for s in steps if s.deviation_id]
    signatures = (db.session.scalars(select(Signature).where(Signature.id.in_(signature_ids)))
                  if signature_ids else [])
    deviations = (db.session.scalars(select(Deviation).where(Deviation.id.in_(deviation_ids)))
                  if deviation_ids else [])
    step_ids = [step.id for step in steps]
    return StepLinks({s.id: s for s in signatures}, {d.id: d for d in deviations},
                     _by_step(step_ids, LOTS_OF_STEPS), _by_step(step_ids, EQUIPMENT_OF_STEPS))


# Built once, as a batch page runs them on every view: building a statement costs more
# than running these.
LOTS_OF_STEPS = (
    select(CultureStepLot.step_id, ReagentLot.id.label("lot_id"), ReagentLot.material,
           ReagentLot.lot_number, CultureStepLot.quantity)
    .join(ReagentLot, ReagentLot.id == CultureStepLot.reagent_lot_id)
    .where(CultureStepLot.step_id.in_(bindparam("step_ids", expanding=True)))
    .order_by(CultureStepLot.id))
EQUIPMENT_OF_STEPS = (
    select(CultureStepEquipment.step_id, Equipment.id.label("item_id"), Equipment.identifier)
    .join(Equipment, Equipment.id == CultureStepEquipment.equipment_id)
    .where(CultureStepEquipment.step_id.in_(bindparam("step_ids", expanding=True)))
    .order_by(CultureStepEquipment.id))


def _by_step(step_ids: list[int], query: Select) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = {}
    if step_ids:
        for row in db.session.execute(query, {"step_ids": step_ids}):
            grouped.setdefault(row.step_id, []).append(row)
    return grouped
