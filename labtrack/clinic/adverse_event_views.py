"""Adverse event pages: report one for a treated patient, read it, correct it with a
reason, print its report (PDF)."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from labtrack.clinic import adverse_events
from labtrack.clinic.adverse_event_pdf import adverse_event_pdf
from labtrack.clinic.adverse_events import EventData
from labtrack.clinic.followup_forms import CorrectEventForm, EventForm
from labtrack.clinic.models import AdverseEvent
from labtrack.clinic.rules.adverse_events import decode_criteria
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.orders import orders
from labtrack.orders.models import TreatmentOrder
from labtrack.web.forms import show_service_error
from labtrack.web.policy import Area
from labtrack.web.security import require_order_access, requires_area
from labtrack.web.templating import lab_today, lab_zone

bp = Blueprint("adverse_events", __name__)
READERS = (Area.CLINIC, Area.BENCH, Area.QUALITY)


@bp.app_template_global()
def batch_adverse_events(batch) -> list[AdverseEvent]:
    """The batch's adverse events in force (for the batch page)."""
    return adverse_events.current_events(batch_id=batch.id)


def _order(order_number: str) -> TreatmentOrder:
    order = orders.find_order(order_number[:40]) or abort(404)
    require_order_access(order)
    return order


def _event(event_id: int) -> AdverseEvent:
    event = db.session.get(AdverseEvent, event_id) or abort(404)  # ids bounded by the route
    require_order_access(db.session.get(TreatmentOrder, event.order_id))
    return event


def _given_levels(order: TreatmentOrder) -> list[str]:
    return list(db.session.scalars(
        select(Administration.disc_level).join(Dose, Dose.id == Administration.dose_id)
        .join(Batch, Batch.id == Dose.batch_id).where(Batch.order_id == order.id)
        .order_by(Administration.administered_at)))


def _prepare(form: EventForm, order: TreatmentOrder) -> EventForm:
    form.disc_level.choices = [SelectChoice("", _("The procedure (all doses)"))] + [
        SelectChoice(level, level) for level in _given_levels(order)]
    return form


def _data(form: EventForm) -> EventData:
    return EventData(onset_date=form.onset_date.data, description=form.description.data,
                     severity=form.severity.data, causality_product=form.causality_product.data,
                     causality_procedure=form.causality_procedure.data,
                     action_taken=form.action_taken.data, outcome=form.outcome.data,
                     criteria=form.criteria.data or (), disc_level=form.disc_level.data or None)


def _render(form, order, status=200, original=None):
    return render_template("followup/event_form.html", form=form, order=order,
                           original=original), status


@bp.route("/orders/<order_number>/adverse-events/new", methods=["GET", "POST"])
@requires_area(Area.CLINIC)
def report(order_number: str):
    order = _order(order_number)
    form = _prepare(EventForm(onset_date=lab_today()), order)
    if not form.validate_on_submit():
        return _render(form, order, 422 if request.method == "POST" else 200)
    try:
        event = adverse_events.report_event(current_user, order, _data(form), lab_zone())
    except ServiceError as error:
        show_service_error(form, error)
        return _render(form, order, 422)
    flash(_("Serious adverse event reported: QA and the treating clinician have been "
            "notified.") if event.serious else _("Adverse event reported."), "success")
    return redirect(url_for(".detail", event_id=event.id))


@bp.route("/adverse-events/<int:event_id>")
@requires_area(*READERS)
def detail(event_id: int):
    event = _event(event_id)
    chain, earlier = [], event
    while earlier.supersedes_id:
        earlier = db.session.get(AdverseEvent, earlier.supersedes_id)
        chain.append(earlier)
    return render_template("followup/event.html", event=event, earlier=chain,
                           order=db.session.get(TreatmentOrder, event.order_id),
                           superseded=adverse_events.is_superseded(event),
                           batch_number=adverse_events.event_batch_number(event))


@bp.route("/adverse-events/<int:event_id>/correct", methods=["GET", "POST"])
@requires_area(Area.CLINIC)
def correct(event_id: int):
    original = _event(event_id)
    order = db.session.get(TreatmentOrder, original.order_id)
    form = CorrectEventForm(obj=original if request.method == "GET" else None)
    if request.method == "GET":
        form.criteria.data = [c.value for c in decode_criteria(original.seriousness_criteria)]
    form = _prepare(form, order)
    if not form.validate_on_submit():
        return _render(form, order, 422 if request.method == "POST" else 200, original)
    try:
        event = adverse_events.correct_event(current_user, original, _data(form),
                                             form.reason.data, lab_zone())
    except ServiceError as error:
        show_service_error(form, error)
        return _render(form, order, 422, original)
    flash(_("Adverse event corrected; the earlier entry stays in the record."), "success")
    return redirect(url_for(".detail", event_id=event.id))


@bp.route("/adverse-events/<int:event_id>/report.pdf")
@requires_area(*READERS)
def report_pdf(event_id: int):
    """The event's report with the product's full traceability."""
    event = _event(event_id)
    content = adverse_event_pdf(event, current_app.config["LAB_NAME"], lab_zone(), utcnow())
    return send_file(io.BytesIO(content), mimetype="application/pdf",
                     download_name=f"adverse-event-{event.id}.pdf")
