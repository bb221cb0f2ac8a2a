"""Harvest (final viable count) and formulation into one dose per disc level (technicians)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.clock import CLOCK_SKEW
from labtrack.culture import batches, counts
from labtrack.culture import steps as culture
from labtrack.culture.counts import CountData
from labtrack.culture.dose_models import Dose
from labtrack.culture.models import (
    Batch,
    CellCount,
    CultureStep,
    CultureStepEquipment,
    CultureStepLot,
)
from labtrack.culture.rules.protocol import StepKind
from labtrack.culture.rules.states import BatchState
from labtrack.database import not_superseded, utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.identity.label_layout import DoseLabelData, Stock
from labtrack.identity.printing import LabelJob, LabelKind, PrintRequest, print_job
from labtrack.identity.rules import isbt128
from labtrack.inventory import inventory
from labtrack.orders.rules.disc_levels import level_code
from labtrack.web.i18n import document_language
from labtrack.web.policy import Area, require_area
from labtrack.web.templating import cells as cells_text
from labtrack.web.templating import exact_number

MAX_VOLUME_ML = Decimal("20")


@dataclass(frozen=True)
class HarvestData:
    """The final count at harvest, with the lots and equipment used."""

    harvested_at: datetime
    viable_cells: int
    dead_cells: int
    method: str = "automated"
    notes: str | None = None
    lot_ids: list[int] = field(default_factory=list)
    equipment_ids: list[int] = field(default_factory=list)
    plausibility_reason: str | None = None  # why a harvest past a soft limit is right


@dataclass(frozen=True)
class FormulationData:
    """How the harvested cells are split into doses, one per ordered disc level."""

    formulated_at: datetime
    volume_ml: Decimal
    container: str
    cells_per_dose: int | None = None  # default: the order's cells per disc, if there are enough
    notes: str | None = None
    lot_ids: list[int] = field(default_factory=list)
    equipment_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class LabelSettings:
    """What dose labels print besides the dose itself (from the configuration)."""

    lab_name: str
    zone: ZoneInfo
    description: str
    storage: str
    stock: Stock

    @classmethod
    def from_config(cls, config, zone: ZoneInfo) -> LabelSettings:
        return cls(config["LAB_NAME"], zone, config["PRODUCT_DESCRIPTION"],
                   config["DOSE_STORAGE"], Stock.parse(config["DOSE_LABEL_STOCK"]))


def require_technician(acting: User) -> None:
    """Only who may work at the bench harvests and formulates (web.policy); the actor is
    recorded for the audit trail."""
    require_area(acting.role, Area.BENCH, _("Only a lab technician may harvest and formulate."))
    audit.attribute_to(db.session, acting)


def check_time(batch: Batch, moment: datetime, name: str) -> None:
    """A time of the batch's: given, not in the future, not before the culture began."""
    if moment is None:
        raise ServiceError(_("Enter a date and time."), field=name)
    if moment > utcnow() + CLOCK_SKEW:
        raise ServiceError(_("This time cannot be in the future: at most %(skew)s minutes "
                             "ahead of the server's clock.",
                             skew=int(CLOCK_SKEW.total_seconds() // 60)), field=name)
    if moment < (batch.seeded_at or batch.started_at):
        raise ServiceError(_("This time cannot be before the culture was seeded."), field=name)


def harvest(acting: User, batch: Batch, data: HarvestData, tz: ZoneInfo) -> CultureStep:
    """Record the harvest: final count, harvest step, batch totals, state harvested. Commits."""
    require_technician(acting)
    batches.ensure_editable(batch)
    if batch.state != BatchState.IN_CULTURE:
        raise ServiceError(_("Only a batch in culture can be harvested."))
    if batch.seeded_at is None:
        raise ServiceError(_("Record the seeding (day 0) first."))
    check_time(batch, data.harvested_at, "harvested_at")
    count = counts.log_count(acting, batch, CountData(
        counted_at=data.harvested_at, method=data.method, viable_cells=data.viable_cells,
        dead_cells=data.dead_cells, plausibility_reason=data.plausibility_reason), harvest=True)
    step = _step(acting, batch, StepKind.HARVEST, data.harvested_at, data, tz,
                 cells=count.viable_cells)
    with audit.reason(db.session, _("Harvest recorded")):
        batch.harvested_at = data.harvested_at
        batch.final_viable_cells = count.viable_cells
        batch.final_viability_percent = count.viability_percent
        db.session.flush()
    batches.change_state(acting, batch, BatchState.HARVESTED, _("Harvest recorded"))
    db.session.commit()
    return step


def correct_harvest(acting: User, batch: Batch, data: HarvestData, why: str) -> CultureStep:
    """Correct the harvest before release (technicians); commits.

    A new harvest count and a new harvest step supersede the old ones, which stay in the
    record; the batch's harvest totals follow, audited with ``why``. The doses already
    formulated must still fit in the corrected harvest, and come after it.
    """
    require_technician(acting)
    batches.ensure_editable(batch)
    if batch.state not in (BatchState.HARVESTED, BatchState.AWAITING_RELEASE):
        raise ServiceError(_("Only a harvest not yet released can be corrected."))
    if not (why or "").strip():
        raise audit.ReasonRequired(_("A reason is required to correct the harvest."),
                                   field="reason")
    check_time(batch, data.harvested_at, "harvested_at")
    doses = batch_doses(batch)
    if doses and data.harvested_at > min(dose.formulated_at for dose in doses):
        raise ServiceError(_("The harvest cannot be after the formulation."),
                           field="harvested_at")
    original_count = _harvest_count(batch)
    if original_count is None:
        raise ServiceError(_("This batch has no harvest count to correct."))
    count = counts.amend_count(acting, original_count, CountData(
        counted_at=data.harvested_at, method=data.method, viable_cells=data.viable_cells,
        dead_cells=data.dead_cells, plausibility_reason=data.plausibility_reason), why,
        harvest=True)
    in_doses = sum(dose.viable_cells for dose in doses)
    if in_doses > count.viable_cells:
        raise ServiceError(_("The doses hold %(doses)s cells, more than the corrected harvest "
                             "of %(cells)s.", doses=cells_text(in_doses),
                             cells=cells_text(count.viable_cells)), field="viable_cells")
    original = _harvest_step(batch)
    with audit.reason(db.session, why.strip()):
        step = CultureStep(
            batch_id=batch.id, kind=StepKind.HARVEST, performed_at=data.harvested_at,
            performed_by_id=acting.id, passage_number=original.passage_number,
            cells=count.viable_cells, notes=(data.notes or "").strip() or original.notes,
            supersedes_id=original.id, amendment_reason=why.strip())
        step.lots = [CultureStepLot(reagent_lot_id=lot.reagent_lot_id, quantity=lot.quantity)
                     for lot in original.lots]
        step.equipment = [CultureStepEquipment(equipment_id=item.equipment_id)
                          for item in original.equipment]
        db.session.add(step)
        batch.harvested_at = data.harvested_at
        batch.final_viable_cells = count.viable_cells
        batch.final_viability_percent = count.viability_percent
        db.session.flush()
    db.session.commit()
    return step


def _harvest_count(batch: Batch) -> CellCount:
    return db.session.scalars(
        select(CellCount).where(CellCount.batch_id == batch.id,
                                CellCount.counted_at == batch.harvested_at,
                                not_superseded(CellCount), CellCount.is_void.is_(False))
        .order_by(CellCount.id.desc())).first()


def _harvest_step(batch: Batch) -> CultureStep:
    return db.session.scalars(
        select(CultureStep).where(CultureStep.batch_id == batch.id,
                                  CultureStep.kind == StepKind.HARVEST,
                                  not_superseded(CultureStep), CultureStep.is_void.is_(False))
        .order_by(CultureStep.id.desc())).first()


def _step(acting: User, batch: Batch, kind: str, at: datetime, data, tz: ZoneInfo,
          cells: int | None) -> CultureStep:
    day = at.astimezone(tz).date()
    lots = [inventory.usable_lot(lot_id, day, "lot_ids") for lot_id in data.lot_ids]
    equipment = [inventory.usable_item(item_id, day) for item_id in data.equipment_ids]
    step = CultureStep(batch_id=batch.id, kind=kind, performed_at=at, performed_by_id=acting.id,
                       passage_number=culture.current_passage(batch), cells=cells,
                       notes=(data.notes or "").strip() or None)
    step.lots = [CultureStepLot(reagent_lot=lot) for lot in lots]
    step.equipment = [CultureStepEquipment(item=item) for item in equipment]
    db.session.add(step)
    db.session.flush()
    return step


def dose_cells(batch: Batch, requested: int | None) -> int:
    """Viable cells per dose: the requested number, or the order's cells per disc if the
    harvest (less the QC reserve) allows it, else an equal share of what there is."""
    order = batch.order
    available = (batch.final_viable_cells or 0) - order.qc_reserve_cells
    share = max(available, 0) // len(order.levels)
    cells = requested if requested is not None else min(order.cells_per_disc, share)
    if cells <= 0:
        raise ServiceError(_("There are not enough cells to formulate."), field="cells_per_dose")
    if cells * len(order.levels) > (batch.final_viable_cells or 0):
        raise ServiceError(_("%(levels)d doses of %(cells)s cells need more than the %(final)s "
                             "cells harvested.", levels=len(order.levels),
                             cells=cells_text(cells), final=cells_text(batch.final_viable_cells)),
                           field="cells_per_dose")
    return cells


def formulate(acting: User, batch: Batch, data: FormulationData, tz: ZoneInfo,
              shelf_life_hours: int) -> list[Dose]:
    """Formulate one dose per ordered disc level; state awaiting release. Commits."""
    require_technician(acting)
    batches.ensure_editable(batch)
    if batch.state != BatchState.HARVESTED:
        raise ServiceError(_("Only a harvested batch can be formulated."))
    container = checked_formulation(batch, data)
    cells = dose_cells(batch, data.cells_per_dose)
    _step(acting, batch, "formulation", data.formulated_at, data, tz, cells=cells)
    doses = new_doses(batch, data, container, cells, shelf_life_hours)
    db.session.add_all(doses)
    db.session.flush()
    batches.change_state(acting, batch, BatchState.AWAITING_RELEASE, _("Doses formulated"))
    db.session.commit()
    return doses


def checked_formulation(batch: Batch, data: FormulationData) -> str:
    """The formulation's time, volume and container checked; the container as stored."""
    check_time(batch, data.formulated_at, "formulated_at")
    if batch.harvested_at and data.formulated_at < batch.harvested_at:
        raise ServiceError(_("Formulation cannot be before the harvest."), field="formulated_at")
    volume = data.volume_ml
    if volume is None or not volume.is_finite() or not Decimal("0") < volume <= MAX_VOLUME_ML:
        raise ServiceError(_("The volume must be above 0 and at most 20 mL."), field="volume_ml")
    container = (data.container or "").strip()
    if not container or len(container) > 100:
        raise ServiceError(_("Name the container (e.g. 1 mL syringe)."), field="container")
    return container


def new_doses(batch: Batch, data: FormulationData, container: str, cells: int,
              shelf_life_hours: int, first_division: int = 0, suffix: str = "") -> list[Dose]:
    """One dose per ordered disc level, divisions from ``first_division`` (A0, B0, …)."""
    expires_at = data.formulated_at + timedelta(hours=shelf_life_hours)
    base = current_app.config["PRODUCT_CODE"]
    return [Dose(dose_code=f"{batch.batch_number}-{level_code(level)}{suffix}",
                 batch_id=batch.id, disc_level=level,
                 product_code=isbt128.dose_product_code(base, first_division + index),
                 viable_cells=cells, volume_ml=data.volume_ml, container=container,
                 formulated_at=data.formulated_at, expires_at=expires_at)
            for index, level in enumerate(batch.order.levels)]


def batch_doses(batch: Batch) -> list[Dose]:
    """The batch's current doses (none a correction replaced), in anatomical order of their
    disc levels."""
    doses = db.session.scalars(select(Dose).where(Dose.batch_id == batch.id,
                                                  Dose.superseded_by_id.is_(None))).all()
    levels = batch.order.levels
    return sorted(doses, key=lambda d: levels.index(d.disc_level)
                  if d.disc_level in levels else len(levels))


def every_dose(batch: Batch) -> list[Dose]:
    """Every dose of the batch, those a formulation correction replaced included."""
    return list(db.session.scalars(select(Dose).where(Dose.batch_id == batch.id)
                                   .order_by(Dose.id)))


def dose_label_data(batch: Batch, dose: Dose, settings: LabelSettings) -> DoseLabelData:
    """What the dose's label shows and encodes (DIN, its product code, its expiry)."""
    patient = batch.order.patient
    return DoseLabelData(
        din=isbt128.parse_din(batch.sample.din), product_code=dose.product_code,
        expiry_data=isbt128.expiry_data(dose.expires_at, settings.zone),
        expiry=_local(dose.expires_at, settings.zone), disc_level=dose.disc_level,
        description=f"{settings.description} · {dose.container}",
        patient_identifier=f"{patient.record_number} {patient.display_name}",
        cells=_("%(cells)s viable cells in %(volume)s mL", cells=cells_text(dose.viable_cells),
                volume=exact_number(dose.volume_ml)),
        storage=settings.storage, batch_number=batch.batch_number, lab_name=settings.lab_name)


def dose_labels(acting: User, batch: Batch, settings: LabelSettings,
                request: PrintRequest | None = None) -> bytes:
    """One ISBT 128 label per dose (technicians and QA), PDF or ZPL; logged and audited,
    reprints marked. Commits."""
    require_area(acting.role, (Area.BENCH, Area.QUALITY),
                 _("Only lab or QA staff may print dose labels."))
    doses = batch_doses(batch)
    if not doses:
        raise ServiceError(_("This batch has no doses yet."))
    request = request or PrintRequest()
    with document_language():  # labels are the lab's documents
        job = LabelJob(LabelKind.DOSE, batch.sample_id, batch.id,
                       [dose_label_data(batch, dose, settings) for dose in doses],
                       [dose.id for dose in doses])
        output = print_job(acting, job, request, f"{batch.batch_number} doses",
                           settings.stock)
    audit.record_event(db.session, "print_label", "batch", batch.id,
                       {"label": "dose", "count": len(doses), "batch": batch.batch_number,
                        "format": request.format.value})
    db.session.commit()
    return output


def _local(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
