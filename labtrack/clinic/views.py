"""Clinicians: the dose readiness list, and recording administrations by scanning.

At the procedure a keyboard-wedge scanner types each code and presses Enter: the
wristband (step 1), then, with the disc level chosen, each dose label (step 2). A
verified dose is confirmed and recorded (step 3); a refused one is shown loudly and the
scan field comes back empty and focused for the next scan.
"""

from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from labtrack.clinic import administration, followup, readiness, summaries, timeline
from labtrack.clinic.bedside_scan import AwaitingScan
from labtrack.clinic.followup import FollowUpSettings
from labtrack.clinic.forms import (
    ALL,
    MINE,
    OPEN,
    ConfirmAdministrationForm,
    DoseScanForm,
    ReadinessFilterForm,
    WristbandForm,
    status_choices,
)
from labtrack.clinic.readiness import ReadinessFilter, ReadinessSettings
from labtrack.clinic.rules.readiness import Status
from labtrack.clinic.terms import readiness_alert, readiness_label, timeline_stage_label
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.orders import orders
from labtrack.orders.models import Patient
from labtrack.orders.rules.disc_levels import DISC_LEVELS
from labtrack.web.forms import show_service_error
from labtrack.web.pagination import page_number
from labtrack.web.policy import Area
from labtrack.web.security import require_patient_access, requires_area
from labtrack.web.templating import lab_zone

bp = Blueprint("clinic", __name__)
bp.add_app_template_global(Status, "ReadinessStatus")

STATUS_TONES = {
    Status.AWAITING_SAMPLE: "muted", Status.SAMPLE_REJECTED: "bad", Status.IN_CULTURE: "info",
    Status.AT_RISK: "warn", Status.AWAITING_RELEASE: "info", Status.RELEASED: "ok",
    Status.EXPIRED: "bad", Status.ADMINISTERED: "muted",
}


@bp.app_template_global()
def order_timeline(order):
    """The order's timeline entries (for ``_partials/timeline.html``)."""
    return timeline.order_timeline(order, lab_zone())


@bp.app_context_processor
def readiness_helpers() -> dict:
    return {"readiness_label": readiness_label, "readiness_alert": readiness_alert,
            "status_tone": lambda status: STATUS_TONES.get(status, "muted"),
            "stage_label": timeline_stage_label, "hours_left": hours_left}


def hours_left(delta) -> str:
    """Time left before expiry as hours and minutes: '5 h 07 min', or 'expired'."""
    minutes = math.floor(delta.total_seconds() / 60)
    if minutes <= 0:
        return _("expired")
    return _("%(hours)d h %(minutes)02d min", hours=minutes // 60, minutes=minutes % 60)


def _readiness_form() -> ReadinessFilterForm:
    form = ReadinessFilterForm(request.args)
    form.status.choices = status_choices()
    form.clinician.choices = [(MINE, _("My patients")), (ALL, _("All clinicians"))] + [
        (str(user.id), user.full_name) for user in orders.active_clinicians()]
    if request.args and not form.validate():
        form.status.data, form.clinician.data = OPEN, MINE
    return form


def _filters(form: ReadinessFilterForm) -> ReadinessFilter:
    status, clinician = form.status.data or OPEN, form.clinician.data or MINE
    statuses = (frozenset(Status) - {Status.ADMINISTERED} if status == OPEN
                else None if status == ALL else frozenset({Status(status)}))
    clinician_id = (current_user.id if clinician == MINE
                    else None if clinician == ALL else int(clinician))
    return ReadinessFilter(clinician_id=clinician_id, statuses=statuses)


DUE_VISITS_SHOWN = 25  # the most pressing (overdue first); each patient's page lists theirs


def readiness_page():
    """The clinician's home page (``main.readiness``): one row per order."""
    form = _readiness_form()
    summaries.ensure_fresh()
    settings = ReadinessSettings.from_config(current_app.config)
    page = readiness.readiness_page(_filters(form), settings, page_number(),
                                    current_app.config["PAGE_SIZE"])
    due, due_total = followup.most_pressing_visits(
        current_user.id, FollowUpSettings.from_config(current_app.config), lab_zone(),
        DUE_VISITS_SHOWN)
    return render_template("main/readiness.html", form=form, page=page,
                           due_visits=due, due_total=due_total,
                           lead_days=current_app.config["RELEASE_LEAD_DAYS"], now=utcnow())


# --- administration by scanning --------------------------------------------------------------


@bp.route("/administer", methods=["GET", "POST"])
@requires_area(Area.CLINIC)
def administer():
    """Step 1: scan the patient's wristband."""
    form = WristbandForm()
    if form.validate_on_submit():
        patient = administration.find_patient_by_wristband(form.wristband.data)
        if patient is not None:
            return redirect(url_for("clinic.administer_patient", patient_id=patient.id))
        form.wristband.errors = [_("No patient has this wristband identifier. Scan it again.")]
        form.wristband.raw_data, form.wristband.data = None, ""
        return render_template("clinic/wristband.html", form=form), 404
    return render_template("clinic/wristband.html", form=form)


def _patient_or_404(patient_id: int) -> Patient:
    """The patient by LabTrack's own id: record numbers stay out of URLs and logs."""
    patient = db.session.get(Patient, patient_id) or abort(404)  # ids bounded by the route
    require_patient_access(patient)
    return patient


def _scan_page(patient: Patient, refusal: str | None = None, level: str | None = None,
               status: int = 200, prompt: str | None = None, held: str | None = None):
    """The patient's doses and an empty, focused dose scan field."""
    now = utcnow()
    doses = administration.patient_doses(patient)
    levels = list(dict.fromkeys(row.dose.disc_level for row in doses)) or [
        level for level in DISC_LEVELS
        if any(level in order.levels for order in orders.patient_orders(patient))]
    chosen = level if level in levels else administration.next_level(doses, now)
    form = DoseScanForm(formdata=None, wristband=patient.record_number, disc_level=chosen,
                        held=held)
    form.disc_level.choices = [SelectChoice(value, value) for value in levels or DISC_LEVELS]
    return render_template("clinic/patient.html", patient=patient, doses=doses, form=form,
                           refusal=refusal, prompt=prompt, now=now), status


@bp.route("/administer/<int:patient_id>")
@requires_area(Area.CLINIC)
def administer_patient(patient_id: int):
    """Step 2: the patient's doses; choose the disc level and scan a dose label."""
    return _scan_page(_patient_or_404(patient_id))


@bp.route("/administer/<int:patient_id>/check", methods=["POST"])
@requires_area(Area.CLINIC)
def check_dose(patient_id: int):
    """Check the scanned dose; show the confirmation, the refusal, or ask for the other
    half of a label scanned as two linear symbols."""
    patient = _patient_or_404(patient_id)
    form = DoseScanForm()
    form.disc_level.choices = [SelectChoice(value, value) for value in DISC_LEVELS]
    if not form.validate_on_submit():
        return _scan_page(patient, _("The scan could not be read: scan the dose label again."),
                          form.disc_level.data, 400)
    scans = [scan for scan in (form.held.data, form.dose_code.data) if scan]
    try:
        verified = administration.verify(current_user, form.wristband.data, scans,
                                         form.disc_level.data)
    except AwaitingScan as waiting:
        return _scan_page(patient, level=form.disc_level.data, prompt=waiting.message,
                          held=waiting.held)
    except ServiceError as error:
        return _scan_page(patient, error.message, form.disc_level.data, 422)
    confirm = ConfirmAdministrationForm(formdata=None, wristband=form.wristband.data,
                                        disc_level=verified.disc_level,
                                        dose_code=verified.dose.dose_code)
    return render_template("clinic/confirm.html", patient=patient, dose=verified.dose,
                           level=verified.disc_level, form=confirm, now=utcnow())


@bp.route("/administer/<int:patient_id>/record", methods=["POST"])
@requires_area(Area.CLINIC)
def record(patient_id: int):
    """Step 3: record the administration of the verified dose."""
    patient = _patient_or_404(patient_id)
    form = ConfirmAdministrationForm()
    if not form.validate_on_submit():
        dose = administration.find_dose(form.dose_code.data or "")
        if set(form.errors) == {"administered_at"} and dose is not None:
            return render_template("clinic/confirm.html", patient=patient, dose=dose,
                                   level=form.disc_level.data, form=form, now=utcnow()), 422
        return _scan_page(patient, _("The administration could not be read; scan the dose "
                                     "again."), form.disc_level.data, 400)
    try:
        given = administration.record_administration(
            current_user, form.wristband.data, form.dose_code.data, form.disc_level.data,
            form.notes.data, form.administered_at.utc)
    except ServiceError as error:
        dose = administration.find_dose(form.dose_code.data)
        if error.field in ("administered_at", "notes") and dose is not None:
            show_service_error(form, error)
            return render_template("clinic/confirm.html", patient=patient, dose=dose,
                                   level=form.disc_level.data, form=form, now=utcnow()), 422
        return _scan_page(patient, error.message, form.disc_level.data, 422)
    flash(_("Dose %(code)s recorded as administered into %(level)s.",
            code=given.dose.dose_code, level=given.disc_level), "success")
    return redirect(url_for("clinic.administer_patient", patient_id=patient.id))
