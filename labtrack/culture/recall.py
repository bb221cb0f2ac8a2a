"""The recall question: which batches used a reagent lot, which steps used an equipment item.

These read culture's steps, so they are culture's; the inventory pages that show them
(``culture/inventory_views.py``) sit here for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from labtrack.culture.models import Batch, CultureStep, CultureStepEquipment, CultureStepLot
from labtrack.extensions import db
from labtrack.inventory.models import Equipment, ReagentLot
from labtrack.orders.models import TreatmentOrder


@dataclass(frozen=True)
class RecallRow:
    """One step of a batch that used a lot or a piece of equipment."""

    batch: Batch
    step: CultureStep
    quantity: str | None = None


def recall_query(lot: ReagentLot) -> Select:
    """Every batch that used the lot, newest first (the recall question)."""
    used = (select(CultureStep.batch_id)
            .join(CultureStepLot, CultureStepLot.step_id == CultureStep.id)
            .where(CultureStepLot.reagent_lot_id == lot.id))
    return (select(Batch).where(Batch.id.in_(used))
            .options(joinedload(Batch.order).joinedload(TreatmentOrder.patient))
            .order_by(Batch.started_at.desc(), Batch.id.desc()))


def lot_uses(lot: ReagentLot, batches: list[Batch]) -> dict[int, list[RecallRow]]:
    """The steps of these batches that used the lot, by batch id, in the order performed."""
    uses: dict[int, list[RecallRow]] = {batch.id: [] for batch in batches}
    if not uses:
        return uses
    by_id = {batch.id: batch for batch in batches}
    rows = db.session.execute(
        select(CultureStep, CultureStepLot.quantity)
        .join(CultureStepLot, CultureStepLot.step_id == CultureStep.id)
        .where(CultureStepLot.reagent_lot_id == lot.id, CultureStep.batch_id.in_(list(uses)))
        .order_by(CultureStep.performed_at, CultureStep.id)).all()
    for step, quantity in rows:
        uses[step.batch_id].append(RecallRow(by_id[step.batch_id], step, quantity))
    return uses


def equipment_use_query(item: Equipment) -> Select:
    """Every step that used the equipment, newest first."""
    used = select(CultureStepEquipment.step_id).where(
        CultureStepEquipment.equipment_id == item.id)
    return (select(CultureStep).where(CultureStep.id.in_(used))
            .order_by(CultureStep.performed_at.desc(), CultureStep.id.desc()))


def batches_by_id(ids) -> dict[int, Batch]:
    """Batches by id, in one query."""
    ids = list(set(ids))
    if not ids:
        return {}
    return {batch.id: batch for batch in db.session.scalars(select(Batch).where(Batch.id.in_(ids)))}
