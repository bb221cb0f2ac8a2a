"""Harvest and formulation pages (technicians)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from labtrack.culture import counts, formulation_corrections, harvest
from labtrack.culture.batch_pages import batch_or_404, batch_page_url
from labtrack.culture.forms import cells, millions
from labtrack.culture.harvest import FormulationData, HarvestData
from labtrack.culture.harvest_forms import (
    FormulationCorrectionForm,
    FormulationForm,
    HarvestCorrectionForm,
    HarvestForm,
)
from labtrack.culture.plausibility import Implausible, implausible
from labtrack.errors import ServiceError
from labtrack.inventory import inventory
from labtrack.web.forms import show_service_error
from labtrack.web.policy import Area
from labtrack.web.security import requires_area
from labtrack.web.templating import lab_now, lab_today, lab_zone


def lab_time_of(moment):
    """A stored time as the lab-time field shows it (local, to the minute)."""
    return moment.astimezone(lab_zone()).replace(tzinfo=None, second=0, microsecond=0)

bp = Blueprint("harvest", __name__, url_prefix="/harvest")


def _materials(form) -> None:
    today = lab_today()
    form.lot_ids.choices = [SelectChoice(lot.id, f"{lot.material} · {lot.lot_number} "
                                                 f"({lot.expiry_date.isoformat()})")
                            for lot in inventory.usable_lots(today)]
    form.equipment_ids.choices = [SelectChoice(item.id, f"{item.identifier} · {item.kind}")
                                  for item in inventory.usable_equipment(today)]


def _attempt(form, record: Callable[[], object], done: str) -> list[str] | None:
    """Run a valid submit's use case. None once it is recorded (``done`` is flashed);
    otherwise the plausibility warnings to confirm, or none when it was refused (the
    refusal is shown on the form)."""
    try:
        record()
    except Implausible as error:
        return implausible(error)
    except ServiceError as error:
        show_service_error(form, error)
        return []
    flash(done, "success")
    return None


@bp.route("/<batch_number>", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def harvest_batch(batch_number: str):
    batch = batch_or_404(batch_number)
    form = HarvestForm()
    _materials(form)
    if not form.is_submitted():
        form.harvested_at.data = lab_now()
    warnings: list[str] | None = []
    if form.validate_on_submit():
        data = HarvestData(
            harvested_at=form.harvested_at.utc,
            viable_cells=cells(form.viable_cells.data), dead_cells=cells(form.dead_cells.data),
            method=form.method.data, notes=form.notes.data,
            lot_ids=form.lot_ids.data or [], equipment_ids=form.equipment_ids.data or [],
            plausibility_reason=form.confirmation_reason)
        warnings = _attempt(form, lambda: harvest.harvest(current_user, batch, data, lab_zone()),
                            _("Harvest of %(batch)s recorded. Formulate the doses next.",
                              batch=batch_number))
        if warnings is None:
            return redirect(_formulation_url(batch_number))
    batch = batch_or_404(batch_number)
    in_force = counts.current_counts(batch)
    return render_template("harvest/harvest.html", batch=batch, form=form,
                           last_count=in_force[-1] if in_force else None, warnings=warnings,
                           batch_url=batch_page_url(batch)), 400 if form.is_submitted() else 200


@bp.route("/<batch_number>/correct", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def correct_harvest(batch_number: str):
    """Correct the harvest before release: an amendment with a reason."""
    batch = batch_or_404(batch_number)
    form = HarvestCorrectionForm()
    _materials(form)
    if not form.is_submitted() and batch.harvested_at:
        form.harvested_at.data = lab_time_of(batch.harvested_at)
        form.viable_cells.data = millions(batch.final_viable_cells or 0)
    warnings: list[str] | None = []
    if form.validate_on_submit():
        data = HarvestData(
            harvested_at=form.harvested_at.utc, viable_cells=cells(form.viable_cells.data),
            dead_cells=cells(form.dead_cells.data), method=form.method.data,
            notes=form.notes.data, plausibility_reason=form.confirmation_reason)
        warnings = _attempt(
            form, lambda: harvest.correct_harvest(current_user, batch, data, form.reason.data),
            _("Harvest of %(batch)s corrected; the original stays in the record.",
              batch=batch_number))
        if warnings is None:
            return redirect(batch_page_url(batch))
    batch = batch_or_404(batch_number)
    return render_template("harvest/correct.html", batch=batch, form=form, warnings=warnings,
                           batch_url=batch_page_url(batch)), 400 if form.is_submitted() else 200


def _formulation_url(batch_number: str) -> str:
    return url_for("harvest.formulate", batch_number=batch_number)


@bp.route("/<batch_number>/formulation", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def formulate(batch_number: str):
    batch = batch_or_404(batch_number)
    form = FormulationForm()
    _materials(form)
    if not form.is_submitted():
        form.formulated_at.data = lab_now()
    if form.validate_on_submit():
        try:
            doses = harvest.formulate(current_user, batch, _formulation_data(form), lab_zone(),
                                      current_app.config["DOSE_SHELF_LIFE_HOURS"])
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("%(count)d doses formulated; the batch awaits QA release. Print their "
                    "labels below.", count=len(doses)), "success")
            return redirect(_formulation_url(batch_number))
    batch = batch_or_404(batch_number)
    return render_template("harvest/formulation.html", batch=batch, form=form,
                           doses=harvest.batch_doses(batch),
                           corrections=formulation_corrections.corrections(batch),
                           shelf_life=current_app.config["DOSE_SHELF_LIFE_HOURS"],
                           batch_url=batch_page_url(batch)), 400 if form.is_submitted() else 200


def _formulation_data(form) -> FormulationData:
    return FormulationData(
        formulated_at=form.formulated_at.utc, volume_ml=form.volume_ml.data,
        container=form.container.data, cells_per_dose=cells(form.cells_per_dose.data),
        notes=form.notes.data, lot_ids=form.lot_ids.data or [],
        equipment_ids=form.equipment_ids.data or [])


@bp.route("/<batch_number>/formulation/correct", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def correct_formulation(batch_number: str):
    """Correct the formulation before release: new doses, the old ones kept and marked."""
    batch = batch_or_404(batch_number)
    form = FormulationCorrectionForm()
    _materials(form)
    doses = harvest.batch_doses(batch)
    if not form.is_submitted() and doses:
        form.formulated_at.data = lab_time_of(doses[0].formulated_at)
        form.cells_per_dose.data = millions(doses[0].viable_cells)
        form.volume_ml.data, form.container.data = doses[0].volume_ml, doses[0].container
    if form.validate_on_submit():
        try:
            formulation_corrections.correct_formulation(
                current_user, batch, _formulation_data(form), form.reason.data,
                current_app.config["DOSE_SHELF_LIFE_HOURS"])
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Formulation of %(batch)s corrected: print the new dose labels and "
                    "destroy the old ones.", batch=batch_number), "success")
            return redirect(_formulation_url(batch_number))
    batch = batch_or_404(batch_number)
    return render_template("harvest/correct_formulation.html", batch=batch, form=form,
                           doses=harvest.batch_doses(batch), batch_url=batch_page_url(batch)
                           ), 400 if form.is_submitted() else 200
