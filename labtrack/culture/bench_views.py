"""At the bench: record culture steps, log and correct counts, verify a step (signed).

Technicians record; a second person (technician or QA) verifies a step with an
electronic signature meaning "verified".
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.signing import form_signer, signature_form
from labtrack.accounts.terms import MEANING_LABELS
from labtrack.culture import counts
from labtrack.culture import steps as culture
from labtrack.culture.batch_views import STAFF_AREAS, readable_batch
from labtrack.culture.forms import AmendCountForm, CountForm, StepForm, VoidCountForm, millions
from labtrack.culture.models import Batch, CellCount, CultureStep
from labtrack.culture.plausibility import Implausible, implausible
from labtrack.culture.rules.protocol import COUNT_TASK, StepKind
from labtrack.culture.terms import step_kind_label
from labtrack.culture.worklist import local_day
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.inventory import inventory
from labtrack.web.forms import show_service_error
from labtrack.web.policy import Area
from labtrack.web.security import requires_area
from labtrack.web.templating import lab_now, lab_today, lab_zone

bp = Blueprint("culture", __name__, url_prefix="/batches/<batch_number>")


def _to_batch(batch: Batch, anchor: str | None = None):
    url = url_for("batches.detail", batch_number=batch.batch_number)
    return redirect(f"{url}#{anchor}" if anchor else url)


def _status() -> int:
    return 400 if request.method == "POST" else 200


@bp.route("/steps/new/<kind>", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def record_step(batch_number: str, kind: str):
    batch = readable_batch(batch_number)
    if kind not in culture.STEP_KINDS:
        abort(404)
    form = StepForm().for_kind(kind)
    _step_choices(form)
    if request.method == "GET":
        form.performed_at.data = lab_now()
    if form.validate_on_submit():
        try:
            step = culture.record_protocol_step(
                current_user, batch, _step_data(form, kind),
                culture.protocol_from_config(current_app.config), lab_zone(),
                form.deviation_text)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            _flash_recorded(step)
            return _to_batch(batch, f"step-{step.id}")
    protocol = culture.protocol_from_config(current_app.config)
    window = culture.window_issue(batch, kind, utcnow(), protocol, lab_zone())
    return render_template("batches/step_form.html", batch=batch, kind=kind, form=form,
                           window=culture.window_message(window) if window else None,
                           day=local_day(batch, utcnow(), lab_zone())), _status()


def _step_choices(form: StepForm) -> None:
    today = lab_today()
    form.lot_ids.choices = [
        SelectChoice(lot.id, f"{lot.material} · {lot.lot_number} · "
                             + _("exp. %(date)s", date=lot.expiry_date.isoformat()))
        for lot in inventory.usable_lots(today)]
    form.equipment_ids.choices = [SelectChoice(item.id, f"{item.identifier} · {item.kind}")
                                  for item in inventory.usable_equipment(today)]


def _step_data(form: StepForm, kind: str):
    """The step with the chosen and the scanned lots and equipment (each once)."""
    lots = dict.fromkeys(form.lot_ids.data or [])
    lots.update(dict(inventory.lots_from_codes(form.lot_codes.data)))
    equipment = dict.fromkeys([*(form.equipment_ids.data or []),
                               *inventory.equipment_from_codes(form.equipment_codes.data)])
    return form.step_data(kind, list(lots.items()), list(equipment))


def _flash_recorded(step: CultureStep) -> None:
    flash(_("%(step)s recorded.", step=step_kind_label(step.kind)), "success")
    if step.deviation_id:
        flash(_("A deviation was opened for QA."), "warning")
    if step.contamination_signs:
        flash(_("Signs of contamination recorded: put the batch on hold and inform QA."),
              "warning")


@bp.route("/counts/new", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def log_count(batch_number: str):
    batch = readable_batch(batch_number)
    form = CountForm()
    if request.method == "GET":
        form.counted_at.data = lab_now()
    warnings: list[str] = []
    if form.validate_on_submit():
        try:
            count = counts.record_count(current_user, batch, form.count_data())
        except Implausible as error:
            warnings = implausible(error)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Count recorded."), "success")
            return _to_batch(batch, f"count-{count.id}")
    return render_template("batches/count_form.html", batch=batch, form=form,
                           original=None, warnings=warnings), _status()


def _count_or_404(batch: Batch, count_id: int) -> CellCount:
    count = db.session.get(CellCount, count_id)
    if count is None or count.batch_id != batch.id:
        abort(404)
    return count


def _prefill(form: CountForm, count: CellCount) -> None:
    local = count.counted_at.astimezone(lab_zone())
    form.counted_at.data = local.replace(tzinfo=None, second=0, microsecond=0)
    form.method.data, form.mode.data = count.method, "totals"
    form.viable_cells.data = millions(count.viable_cells)
    form.dead_cells.data = millions(count.dead_cells)
    form.passage_number.data = count.passage_number


@bp.route("/counts/<int:count_id>/amend", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def amend_count(batch_number: str, count_id: int):
    batch = readable_batch(batch_number)
    original = _count_or_404(batch, count_id)
    form = AmendCountForm()
    if request.method == "GET":
        _prefill(form, original)
    warnings: list[str] = []
    if form.validate_on_submit():
        try:
            count = counts.record_amendment(current_user, original, form.count_data(),
                                             form.reason.data)
        except Implausible as error:
            warnings = implausible(error)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Count corrected; the original stays in the record."), "success")
            return _to_batch(batch, f"count-{count.id}")
    return render_template("batches/count_form.html", batch=batch, form=form,
                           original=original, warnings=warnings), _status()


@bp.route("/counts/<int:count_id>/void", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def void_count(batch_number: str, count_id: int):
    batch = readable_batch(batch_number)
    original = _count_or_404(batch, count_id)
    form = VoidCountForm()
    if form.validate_on_submit():
        try:
            counts.record_void(current_user, original, form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Count withdrawn; it stays visible in the record."), "success")
            return _to_batch(batch, "counts")
    return render_template("batches/void_count.html", batch=batch, form=form,
                           original=original), _status()


@bp.route("/steps/<int:step_id>/verify", methods=["GET", "POST"])
@requires_area(*STAFF_AREAS)
def verify_step(batch_number: str, step_id: int):
    batch = readable_batch(batch_number)
    step = db.session.get(CultureStep, step_id)
    if step is None or step.batch_id != batch.id:
        abort(404)
    form = signature_form()
    if form.validate_on_submit():
        try:
            culture.verify_step(current_user, step, form_signer(form, Meaning.VERIFIED))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Step verified and signed."), "success")
            return _to_batch(batch, f"step-{step.id}")
    return render_template("batches/verify_step.html", batch=batch, step=step, form=form,
                           meaning=MEANING_LABELS[Meaning.VERIFIED],
                           own_step=step.performed_by_id == current_user.id), _status()


@bp.app_template_global()
def task_url(batch: Batch, kind: str) -> str:
    """Where a protocol task is done: its step form, the harvest page, else the batch."""
    if kind in culture.STEP_KINDS:
        return url_for("culture.record_step", batch_number=batch.batch_number, kind=kind)
    if kind == StepKind.HARVEST:
        return url_for("harvest.harvest_batch", batch_number=batch.batch_number)
    if kind == COUNT_TASK:
        return url_for("culture.log_count", batch_number=batch.batch_number)
    return url_for("batches.detail", batch_number=batch.batch_number)
