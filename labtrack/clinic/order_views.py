"""Patients and treatment orders: clinicians create them; the lab and QA read orders."""

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
from wtforms import SelectChoice

from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.orders import orders
from labtrack.orders.forms import (
    AuthorisationForm,
    OrderForm,
    PatientForm,
    PatientSearchForm,
    millions_from_cells,
)
from labtrack.orders.models import Patient, TreatmentOrder
from labtrack.orders.terms import authorisation_message, sex_label
from labtrack.samples import receipt as samples
from labtrack.samples.terms import failed_rule_message
from labtrack.web.forms import show_service_error
from labtrack.web.pagination import list_page
from labtrack.web.policy import Area, may_use
from labtrack.web.security import require_order_access, require_patient_access, requires_area
from labtrack.web.templating import lab_today

bp = Blueprint("orders", __name__)
bp.add_app_template_filter(sex_label, "sex_label")


def _search() -> tuple[PatientSearchForm, str | None]:
    form = PatientSearchForm(request.args)
    return form, (form.q.data if form.validate() else None)


@bp.route("/patients")
@requires_area(Area.CLINIC)
def patients():
    form, search = _search()
    return render_template("patients/index.html", form=form,
                           page=list_page(orders.patients_query(search)))


@bp.route("/patients/new", methods=["GET", "POST"])
@requires_area(Area.CLINIC)
def new_patient():
    form = PatientForm()
    if form.validate_on_submit():
        try:
            patient = orders.enrol_patient(current_user, form.patient_data(), lab_today())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Patient %(number)s registered.", number=patient.record_number), "success")
            return redirect(url_for("orders.patient", patient_id=patient.id))
    return render_template("patients/new.html", form=form)


@bp.route("/patients/<int:patient_id>")
@requires_area(Area.CLINIC)
def patient(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    require_patient_access(patient)
    return render_template("patients/detail.html", patient=patient,
                           orders=orders.patient_orders(patient))


@bp.route("/orders")
@requires_area(Area.CLINIC)
def index():
    form, search = _search()
    sort = request.args.get("sort") if request.args.get("sort") in orders.ORDER_SORTS else "newest"
    page = list_page(orders.orders_query(search, sort))
    progress = {order.id: samples.order_progress(order) for order in page.items}
    return render_template("orders/index.html", form=form, page=page, sort=sort,
                           progress=progress)


def _order_form() -> OrderForm:
    config = current_app.config
    patient = db.session.get(Patient, request.args.get("patient_id", 0, type=int))
    form = OrderForm(cells_per_disc=millions_from_cells(config["DEFAULT_CELLS_PER_DISC"]),
                     tolerance_percent=config["DEFAULT_TOLERANCE_PERCENT"],
                     treating_clinician_id=current_user.id,
                     record_number=patient.record_number if patient else None)
    form.treating_clinician_id.choices = [SelectChoice(user.id, user.full_name)
                                          for user in orders.active_clinicians()]
    return form


def _create_order(form: OrderForm) -> TreatmentOrder | None:
    today = lab_today()
    try:
        if form.has_new_patient():
            return orders.create_order_for_new_patient(current_user, form.patient_data(),
                                                       form.order_data(), today)
        patient = orders.find_patient(form.record_number.data)
        if patient is None:
            raise ServiceError(_("No patient has this record number. To register a new "
                                 "patient, fill in their details below."), field="record_number")
        return orders.create_order(current_user, patient, form.order_data(), today)
    except ServiceError as error:
        show_service_error(form, error)
        return None


@bp.route("/orders/new", methods=["GET", "POST"])
@requires_area(Area.CLINIC)
def new():
    form = _order_form()
    if form.validate_on_submit():
        order = _create_order(form)
        if order is not None:
            flash(_("Order %(number)s created.", number=order.order_number), "success")
            return redirect(url_for("orders.detail", order_number=order.order_number))
    return render_template("orders/new.html", form=form)


@bp.route("/orders/<order_number>")
@requires_area(Area.CLINIC, Area.BENCH, Area.QUALITY)
def detail(order_number: str):
    order = orders.find_order(order_number) or abort(404)
    require_order_access(order)
    progress = samples.order_progress(order)
    problems = orders.authorisation_issues(order, lab_today())
    return render_template(
        "orders/detail.html", order=order, progress=progress,
        samples=samples.samples_of(order),
        failed_rules=[failed_rule_message(rule) for rule in progress.failed_rules],
        authorisation_problems=[authorisation_message(problem) for problem in problems],
        can_receive=may_use(current_user.role, Area.BENCH) and progress.needs_sample
        and not order.cancelled_reason,
        in_clinic=may_use(current_user.role, Area.CLINIC),
        can_open_samples=any(may_use(current_user.role, area)
                             for area in (Area.BENCH, Area.QUALITY)))


@bp.route("/orders/<order_number>/authorisation", methods=["GET", "POST"])
@requires_area(Area.CLINIC)
def authorisation(order_number: str):
    order = orders.find_order(order_number) or abort(404)
    require_order_access(order)
    form = AuthorisationForm(authorisation_reference=order.authorisation_reference,
                             authorisation_granted_on=order.authorisation_granted_on,
                             authorisation_levels=list(order.authorised_levels or order.levels),
                             authorisation_expires_on=order.authorisation_expires_on)
    if form.validate_on_submit():
        try:
            orders.record_authorisation(current_user, order, form.authorisation_data(),
                                        form.reason.data, lab_today())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Authorisation saved. The change is in the audit trail."), "success")
            return redirect(url_for("orders.detail", order_number=order.order_number))
    return render_template("orders/authorisation.html", order=order, form=form)
