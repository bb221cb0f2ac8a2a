"""Correcting a formulation before release: an audited amendment with a reason.

Nothing is deleted or overwritten: the doses formulated first stay, marked superseded by
a ``FormulationCorrection`` (who, when, why), and new doses are made for every ordered
disc level with new ISBT 128 product codes (the next free divisions) and new dose codes,
so a label printed for a replaced dose names that dose and is refused at the bedside. A
new formulation step supersedes the old one; it needs its own second-person verification
before release, as any critical step does.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.culture import batches
from labtrack.culture.dose_models import Dose, FormulationCorrection
from labtrack.culture.harvest import (
    FormulationData,
    batch_doses,
    checked_formulation,
    dose_cells,
    new_doses,
    require_technician,
)
from labtrack.culture.models import Batch, CultureStep, CultureStepEquipment, CultureStepLot
from labtrack.culture.rules.states import BatchState
from labtrack.database import not_superseded, utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.identity.rules.isbt128 import ProductCodeError

MAX_REASON = 1000
FORMULATION_STEP = "formulation"  # the step formulate() records (harvest.py)


@dataclass(frozen=True)
class CorrectionRecord:
    """A correction with the doses it replaced and the doses it made (for pages and records)."""

    correction: FormulationCorrection
    replaced: list[Dose]
    made: list[Dose]


def correct_formulation(acting: User, batch: Batch, data: FormulationData, why: str,
                        shelf_life_hours: int) -> FormulationCorrection:
    """Correct the formulation of a batch awaiting release (technicians); commits.

    The current doses are marked superseded by the correction and new ones made from
    ``data``; a correction that changes nothing is refused.
    """
    require_technician(acting)
    batches.ensure_editable(batch)
    if batch.state != BatchState.AWAITING_RELEASE:
        raise ServiceError(_("Only a formulation not yet released can be corrected."))
    why = (why or "").strip()
    if not why:
        raise audit.ReasonRequired(_("A reason is required to correct the formulation."),
                                   field="reason")
    if len(why) > MAX_REASON:
        raise ServiceError(_("The reason is at most 1000 characters."), field="reason")
    current = batch_doses(batch)
    original = _formulation_step(batch)
    if not current or original is None:
        raise ServiceError(_("This batch has no formulation to correct."))
    container = checked_formulation(batch, data)
    cells = dose_cells(batch, data.cells_per_dose)
    if _unchanged(current, data, container, cells):
        raise ServiceError(_("The correction changes nothing: the time, cells per dose, "
                             "volume and container are those already recorded."),
                           field="cells_per_dose")
    with audit.reason(db.session, why):
        correction = FormulationCorrection(batch_id=batch.id, corrected_at=utcnow(),
                                           corrected_by_id=acting.id, reason=why)
        db.session.add(correction)
        db.session.flush()
        for dose in current:
            dose.superseded_by_id = correction.id
        db.session.flush()  # the replaced doses leave the current ones before the new come
        _amended_step(acting, original, data, cells, why)
        db.session.add_all(_corrected_doses(batch, data, container, cells, shelf_life_hours))
        db.session.flush()
    db.session.commit()
    return correction


def _unchanged(current: list[Dose], data: FormulationData, container: str, cells: int) -> bool:
    return all(dose.formulated_at == data.formulated_at and dose.viable_cells == cells
               and dose.volume_ml == data.volume_ml and dose.container == container
               for dose in current)


def _corrected_doses(batch: Batch, data: FormulationData, container: str, cells: int,
                     shelf_life_hours: int) -> list[Dose]:
    """New doses after every division used so far; dose codes marked with the revision."""
    made = db.session.scalar(select(func.count()).select_from(Dose)
                             .where(Dose.batch_id == batch.id))
    revision = db.session.scalar(select(func.count()).select_from(FormulationCorrection)
                                 .where(FormulationCorrection.batch_id == batch.id))
    try:
        return new_doses(batch, data, container, cells, shelf_life_hours,
                         first_division=made, suffix=f"-R{revision}")
    except ProductCodeError:
        raise ServiceError(_("This batch's doses have used every ISBT 128 division: the "
                             "formulation cannot be corrected again. Open a deviation."),
                           ) from None


def _formulation_step(batch: Batch) -> CultureStep | None:
    return db.session.scalars(
        select(CultureStep).where(CultureStep.batch_id == batch.id,
                                  CultureStep.kind == FORMULATION_STEP,
                                  not_superseded(CultureStep), CultureStep.is_void.is_(False))
        .order_by(CultureStep.id.desc())).first()


def _amended_step(acting: User, original: CultureStep, data: FormulationData, cells: int,
                  why: str) -> CultureStep:
    """A formulation step superseding the original, with its lots and equipment."""
    step = CultureStep(
        batch_id=original.batch_id, kind=FORMULATION_STEP, performed_at=data.formulated_at,
        performed_by_id=acting.id, passage_number=original.passage_number, cells=cells,
        notes=(data.notes or "").strip() or original.notes, supersedes_id=original.id,
        amendment_reason=why)
    step.lots = [CultureStepLot(reagent_lot_id=lot.reagent_lot_id, quantity=lot.quantity)
                 for lot in original.lots]
    step.equipment = [CultureStepEquipment(equipment_id=item.equipment_id)
                      for item in original.equipment]
    db.session.add(step)
    db.session.flush()
    return step


def corrections(batch: Batch) -> list[CorrectionRecord]:
    """The batch's formulation corrections, oldest first, each with the doses it replaced
    and the doses it made (the next correction's replaced ones, or the current ones)."""
    found = db.session.scalars(select(FormulationCorrection)
                               .where(FormulationCorrection.batch_id == batch.id)
                               .order_by(FormulationCorrection.id)).all()
    if not found:
        return []
    doses = db.session.scalars(select(Dose).where(Dose.batch_id == batch.id)
                               .order_by(Dose.id)).all()
    replaced = {c.id: [d for d in doses if d.superseded_by_id == c.id] for c in found}
    made = [replaced[c.id] for c in found[1:]] + [[d for d in doses if d.is_current]]
    return [CorrectionRecord(c, replaced[c.id], made[i]) for i, c in enumerate(found)]


def superseding_dose(dose: Dose) -> Dose | None:
    """The current dose for the disc level of a replaced dose, if there is one."""
    return db.session.scalar(select(Dose).where(Dose.batch_id == dose.batch_id,
                                                Dose.disc_level == dose.disc_level,
                                                Dose.superseded_by_id.is_(None)))
