"""Correcting orders and patients (clinicians): each change with a reason, audited."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from labtrack.clinic import corrections
from labtrack.clinic.order_views import bp
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.orders import orders
from labtrack.orders.forms import CancelOrderForm, OrderCorrectionForm, PatientCorrectionForm
from labtrack.orders.models import Patient
from labtrack.orders.orders import PatientData
from labtrack.web.forms import show_service_error
from labtrack.web.policy import Area
from labtrack.web.security import require_order_access, require_patient_access, requires_area
from labtrack.web.templating import lab_today


def _order_or_404(order_number: str):
    order = orders.find_order(order_number) or abort(404)
    require_order_access(order)
    return order


@bp.route("/orders/<order_number>/correct", methods=["GET", "POST"])
@requires_area(Area.CLINIC)
def correct_order(order_number: str):
    order = _order_or_404(order_number)
    form = OrderCorrectionForm(planned_procedure_date=order.planned_procedure_date,
                               treating_clinician_id=order.treating_clinician_id,
                               disc_levels=list(order.levels))
    form.treating_clinician_id.choices = [SelectChoice(user.id, user.full_name)
                                          for user in orders.active_clinicians()]
    if form.validate_on_submit():
        change = corrections.OrderCorrection(form.planned_procedure_date.data,
                                             form.treating_clinician_id.data,
                                             list(form.disc_levels.data or []))
        try:
            corrections.correct_order(current_user, order, change, form.reason.data,
                                      lab_today())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Order %(number)s corrected. The change and its reason are in its "
                    "history.", number=order.order_number), "success")
            return redirect(url_for("orders.detail", order_number=order.order_number))
    return render_template("orders/correct.html", order=order, form=form,
                           levels_locked=corrections.batch_started(order)), \
        400 if form.is_submitted() else 200


@bp.route("/orders/<order_number>/cancel", methods=["GET", "POST"])
@requires_area(Area.CLINIC)
def cancel_order(order_number: str):
    order = _order_or_404(order_number)
    form = CancelOrderForm()
    if form.validate_on_submit():
        try:
            corrections.cancel_order(current_user, order, form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Order %(number)s cancelled. It is kept, with the reason, in the record.",
                    number=order.order_number), "success")
            return redirect(url_for("orders.detail", order_number=order.order_number))
    return render_template("orders/cancel.html", order=order, form=form), \
        400 if form.is_submitted() else 200


@bp.route("/patients/<int:patient_id>/correct", methods=["GET", "POST"])
@requires_area(Area.CLINIC)
def correct_patient(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    require_patient_access(patient)
    form = PatientCorrectionForm(obj=patient)
    if form.validate_on_submit():
        data = PatientData(patient.record_number, form.given_name.data, form.family_name.data,
                           form.date_of_birth.data, form.sex.data)
        try:
            corrections.correct_patient(current_user, patient, data, form.reason.data,
                                        lab_today())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Patient %(number)s corrected. The change and its reason are in the "
                    "history.", number=patient.record_number), "success")
            return redirect(url_for("orders.patient", patient_id=patient.id))
    return render_template("patients/correct.html", patient=patient, form=form), \
        400 if form.is_submitted() else 200
