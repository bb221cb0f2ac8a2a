"""Reading the bench: the Today worklist, the batch list and a batch's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from labtrack.domain.batch_states import BatchState
from labtrack.domain.protocol import CultureProtocol, Task, TaskStatus, tasks_for
from labtrack.extensions import db
from labtrack.models.audit import Signature
from labtrack.models.batches import Batch, CultureStep
from labtrack.models.patients import TreatmentOrder
from labtrack.models.quality import Deviation
from labtrack.services import counts, culture
from labtrack.services.counts import Growth


@dataclass(frozen=True)
class BatchWork:
    """One batch in culture: its culture day, passage, tasks due now and growth."""

    batch: Batch
    day: int | None
    passage: int
    tasks: list[Task]
    growth: Growth

    @property
    def overdue(self) -> bool:
        return any(task.status == TaskStatus.OVERDUE for task in self.tasks)


@dataclass(frozen=True)
class Worklist:
    batches: list[BatchWork]  # with something due, most urgent first

    @property
    def at_risk(self) -> list[BatchWork]:
        return [work for work in self.batches if work.growth.at_risk]


def batches_in_culture() -> list[Batch]:
    """Every batch in culture with its order and patient loaded, by batch number."""
    return list(db.session.scalars(
        select(Batch).where(Batch.state == BatchState.IN_CULTURE.value)
        .options(joinedload(Batch.order).joinedload(TreatmentOrder.patient))
        .order_by(Batch.batch_number)))


def today(now: datetime, tz: ZoneInfo, protocol: CultureProtocol, lead_days: int) -> Worklist:
    """The worklist at ``now``; three queries whatever the number of batches."""
    active = batches_in_culture()
    ids = [batch.id for batch in active]
    steps, in_force = culture.step_facts_by_batch(ids), counts.counts_by_batch(ids)
    work = []
    for batch in active:
        facts = steps[batch.id]
        work.append(BatchWork(
            batch=batch,
            day=local_day(batch, now, tz),
            passage=sum(1 for fact in facts if fact.kind == "passage"),
            tasks=[task for task in tasks_for(facts, now, tz, protocol) if task.actionable],
            growth=counts.growth_of(batch, in_force[batch.id], now, tz, lead_days),
        ))
    work.sort(key=lambda w: (not w.overdue, not w.tasks, not w.growth.at_risk,
                             w.batch.batch_number))
    return Worklist(work)


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
    return (moment.astimezone(tz).date() - batch.seeded_at.astimezone(tz).date()).days


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
    """What the steps point to: verification signatures and deviations, by id."""

    signatures: dict[int, Signature]
    deviations: dict[int, Deviation]


def step_links(steps: list[CultureStep]) -> StepLinks:
    """The signatures and deviations of the steps, in two queries."""
    signature_ids = [s.verification_signature_id for s in steps if s.verification_signature_id]
    deviation_ids = [s.deviation_id for s in steps if s.deviation_id]
    signatures = (db.session.scalars(select(Signature).where(Signature.id.in_(signature_ids)))
                  if signature_ids else [])
    deviations = (db.session.scalars(select(Deviation).where(Deviation.id.in_(deviation_ids)))
                  if deviation_ids else [])
    return StepLinks({s.id: s for s in signatures}, {d.id: d for d in deviations})
