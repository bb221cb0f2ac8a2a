"""Batches: the list, the batch page (growth, timeline, counts) and changes of state.

Technicians and QA read every batch; a clinician reads the batches of their own orders.
Holding, resuming and terminating follow the lifecycle table (terminating is QA's).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.culture import batches, counts, worklist
from labtrack.culture import steps as culture
from labtrack.culture.batch_forms import BatchFilterForm, StateChangeForm
from labtrack.culture.display import step_measurements, task_window
from labtrack.culture.growth_chart import growth_chart_svg
from labtrack.culture.models import Batch
from labtrack.culture.rules.protocol import StepKind, tasks_for
from labtrack.culture.rules.states import BatchState, allowed_targets, is_locked
from labtrack.culture.terms import (
    count_method_label,
    state_label,
    step_kind_label,
    task_status_label,
)
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.web.forms import show_service_error
from labtrack.web.pagination import list_page
from labtrack.web.policy import Area, Role
from labtrack.web.security import require_order_access, requires_area
from labtrack.web.templating import lab_zone

bp = Blueprint("batches", __name__, url_prefix="/batches")
for _filter, _name in ((state_label, "state_label"), (step_kind_label, "step_kind"),
                       (task_status_label, "task_status"), (count_method_label, "count_method")):
    bp.add_app_template_filter(_filter, _name)
bp.add_app_template_global(step_measurements, "step_measurements")
bp.add_app_template_global(BatchState, "BatchState")
bp.add_app_template_global(is_locked, "batch_locked")
bp.add_app_template_global(task_window, "task_window")

# Technicians make batches and QA reviews them: both read every batch. A clinician reads
# the batches of the orders they treat (need to know). Administrators manage accounts only.
READ_AREAS = (Area.BENCH, Area.QUALITY, Area.CLINIC)
STAFF_AREAS = (Area.BENCH, Area.QUALITY)

# Changes of state made from the batch page; the harvest, formulation and release have
# their own pages. Lifting a hold returns the batch to the state it was held from.
PAGE_TARGETS = (BatchState.ON_HOLD, BatchState.TERMINATED)
IRREVERSIBLE = (BatchState.TERMINATED,)


def readable_batch(batch_number: str) -> Batch:
    """The batch if it exists and the current user may read it (need-to-know); else 404/403."""
    batch = batches.find_batch(batch_number) or abort(404)
    require_order_access(batch.order)
    return batch


def page_actions(batch: Batch) -> list[BatchState]:
    """The changes of state the current user may make from the batch page."""
    return [target for target in allowed_targets(batch.state, current_user.role,
                                                 batch.held_from)
            if target in PAGE_TARGETS or batch.state == BatchState.ON_HOLD]


@bp.route("")
@requires_area(*READ_AREAS)
def index():
    form = BatchFilterForm(request.args)
    state = form.state.data if form.validate() else None
    clinician = current_user.id if current_user.role == Role.CLINICIAN else None
    page = list_page(worklist.batches_query(state, clinician))
    return render_template("batches/index.html", form=form, page=page, tz=lab_zone())


@bp.route("/<batch_number>")
@requires_area(*READ_AREAS)
def detail(batch_number: str):
    batch = readable_batch(batch_number)
    return render_template("batches/detail.html", **batch_page(batch))


def batch_page(batch: Batch) -> dict:
    """Everything the batch page shows."""
    tz, now = lab_zone(), utcnow()
    steps, history = culture.steps_of(batch), counts.count_history(batch)
    growth = counts.growth_of(batch, counts.in_force(history), now, tz,
                              current_app.config["RELEASE_LEAD_DAYS"])
    protocol = culture.protocol_from_config(current_app.config)
    in_culture = batch.state == BatchState.IN_CULTURE
    return {
        "batch": batch, "order": batch.order, "patient": batch.order.patient, "tz": tz,
        "today": worklist.local_day(batch, now, tz), "growth": growth,
        "chart": growth_chart_svg(growth.points, growth.target, growth.projection),
        "tasks": tasks_for(culture.step_facts(steps), now, tz, protocol) if in_culture else [],
        "timeline": worklist.timeline(batch, steps, tz), "links": worklist.step_links(steps),
        "count_history": history, "actions": page_actions(batch),
        "bench_open": in_culture and current_user.role == Role.TECHNICIAN,
        "counts_open": (current_user.role == Role.TECHNICIAN
                        and batch.state in counts.COUNTING_STATES),
        "locked": is_locked(batch.state), "step_kinds": culture.STEP_KINDS,
        "record_kinds": [kind for kind in culture.STEP_KINDS
                         if batch.seeded_at is None
                         or kind not in (StepKind.ISOLATION, StepKind.SEEDING)],
    }


@bp.route("/<batch_number>/state/<target>", methods=["GET", "POST"])
@requires_area(*STAFF_AREAS)
def change_state(batch_number: str, target: str):
    batch = readable_batch(batch_number)
    if target not in {state.value for state in BatchState}:
        abort(404)
    target = BatchState(target)
    form = StateChangeForm()
    if form.validate_on_submit() and not _refused_here(batch, target, form):
        try:
            batches.record_state_change(current_user, batch, target, form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Batch %(number)s is now %(state)s.", number=batch.batch_number,
                    state=state_label(batch.state)), "success")
            return redirect(url_for("batches.detail", batch_number=batch.batch_number))
    status = 400 if request.method == "POST" else 200
    return render_template("batches/change_state.html", batch=batch, target=target, form=form,
                           irreversible=target in IRREVERSIBLE), status


def _refused_here(batch: Batch, target: BatchState, form: StateChangeForm) -> bool:
    """Refusals particular to this page: the confirmation, and changes made elsewhere."""
    if target not in PAGE_TARGETS and batch.state != BatchState.ON_HOLD:
        flash(_("A batch is not %(action)s from this page: use its own step.",
                action=state_label(target)), "error")
        return True
    if target in IRREVERSIBLE and not form.confirm.data:
        form.confirm.errors = [*form.confirm.errors, _("Tick the box to confirm.")]
        return True
    return False


@bp.app_template_filter("culture_day")
def culture_day_filter(moment, batch: Batch) -> str:
    """Culture day of a time on this batch, or a dash before seeding."""
    day = worklist.local_day(batch, moment, lab_zone()) if moment else None
    return "—" if day is None else str(day)


@bp.app_template_global()
def state_action(batch: Batch, target: str) -> str:
    """The button text for a change of state."""
    if batch.state == BatchState.ON_HOLD and target != BatchState.TERMINATED:
        return _("Lift the hold (back to %(state)s)", state=state_label(target))
    actions = {BatchState.ON_HOLD: _("Put on hold"), BatchState.TERMINATED: _("Terminate")}
    return actions.get(target, state_label(target))
