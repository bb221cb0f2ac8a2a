"""Follow-up pages: a treated patient's schedule, visits and chart; recording a visit and
correcting one with a reason."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from labtrack.clinic import adverse_events, followup
from labtrack.clinic.followup import DiscData, FollowUpSettings, VisitData, decimal_or_none
from labtrack.clinic.followup_forms import ODI_SECTIONS, CorrectVisitForm, VisitForm
from labtrack.clinic.models import FollowUpVisit
from labtrack.clinic.outcome_charts import patient_chart
from labtrack.clinic.rules import odi
from labtrack.clinic.rules.followup import ROMAN, SCALE_MAX, as_nrs
from labtrack.clinic.terms import (
    ae_label,
    criteria_text,
    followup_label,
    visit_label,
    visit_state_label,
)
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.orders import orders
from labtrack.orders.models import TreatmentOrder
from labtrack.web.forms import show_service_error
from labtrack.web.policy import Area, may_use
from labtrack.web.security import require_order_access, requires_area
from labtrack.web.templating import lab_today, lab_zone

bp = Blueprint("followup", __name__)
READERS = (Area.CLINIC, Area.BENCH, Area.QUALITY)


@bp.app_context_processor
def followup_helpers() -> dict:
    return {"visit_label": visit_label, "visit_state_label": visit_state_label,
            "followup_label": followup_label, "ae_label": ae_label,
            "criteria_text": criteria_text, "roman": ROMAN}


def settings() -> FollowUpSettings:
    return FollowUpSettings.from_config(current_app.config)


def _order(order_number: str) -> TreatmentOrder:
    order = orders.find_order(order_number[:40]) or abort(404)
    require_order_access(order)
    return order


def _visit(visit_id: int) -> FollowUpVisit:
    visit = db.session.get(FollowUpVisit, visit_id) or abort(404)  # ids bounded by the route
    require_order_access(db.session.get(TreatmentOrder, visit.order_id))
    return visit


def chart_for(order: TreatmentOrder) -> str:
    """The patient's pain and ODI by day after the injection (baseline at day 0 or before)."""
    injected = followup.injection_date(order, lab_zone())
    if injected is None:
        return ""
    rows = [((visit.visit_date - injected).days, as_nrs(visit.back_pain, visit.pain_scale),
             as_nrs(visit.leg_pain, visit.pain_scale), visit.odi_percent)
            for visit in followup.current_visits(order)]
    labels = {"back_pain": _("Low back pain (0–10)"), "leg_pain": _("Leg pain (0–10)"),
              "odi": _("ODI (%)"), "days": _("Days after the injection"),
              "pain": _("Pain (0–10)"), "odi_axis": _("ODI (%)"),
              "title": _("Pain and disability over time")}
    return patient_chart([(d, _f(b), _f(leg), _f(o)) for d, b, leg, o in rows], labels)


def _f(value) -> float | None:
    return None if value is None else float(value)


@bp.route("/orders/<order_number>/follow-up")
@requires_area(*READERS)
def patient_followup(order_number: str):
    """The treated patient's follow-up: schedule, visits, chart, adverse events."""
    order, zone = _order(order_number), lab_zone()
    history = followup.visit_history(order)
    superseded = {visit.supersedes_id for visit in history if visit.supersedes_id}
    return render_template(
        "followup/patient.html", order=order, settings=settings(),
        injected=followup.injection_date(order, zone),
        schedule=followup.schedule(order, settings(), zone),
        visits=[visit for visit in history if visit.id not in superseded],
        corrected=[visit for visit in history if visit.id in superseded],
        events=adverse_events.current_events(order_id=order.id), chart=chart_for(order),
        in_clinic=may_use(current_user.role, Area.CLINIC))


def _visit_form(form: VisitForm, order: TreatmentOrder, visit: FollowUpVisit | None = None):
    form.visit_key.choices = [SelectChoice(key, visit_label(key)) for key in settings().keys]
    if request.method == "GET":
        known = {disc.disc_level: disc for disc in visit.discs} if visit else {}
        while len(form.discs) < len(order.levels):
            form.discs.append_entry()
        for entry, level in zip(form.discs, order.levels, strict=False):
            disc = known.get(level)  # the entry shows this level's findings, or none
            entry.disc_level.data = level
            entry.pfirrmann_grade.data = str(disc.pfirrmann_grade or "") if disc else ""
            entry.disc_height_mm.data = _text(disc.disc_height_mm) if disc else ""
            entry.t2_signal.data = _text(disc.t2_signal) if disc else ""
    return form


def _text(value) -> str:
    return "" if value is None else str(value)


def _visit_data(form: VisitForm) -> VisitData:
    discs = [DiscData(entry.disc_level.data,
                      int(entry.pfirrmann_grade.data) if entry.pfirrmann_grade.data else None,
                      decimal_or_none(entry.disc_height_mm.data),
                      decimal_or_none(entry.t2_signal.data)) for entry in form.discs]
    return VisitData(visit_key=form.visit_key.data, visit_date=form.visit_date.data,
                     back_pain=form.back_pain.data, leg_pain=form.leg_pain.data,
                     odi_answers=[int(v) if v not in ("", None) else None
                                  for v in form.odi.data],
                     pgic=form.pgic.data or None, analgesics=form.analgesics.data or None,
                     notes=form.notes.data, discs=discs)


def _render_visit(form, order, status=200, original=None):
    top = SCALE_MAX[settings().pain_scale]
    return render_template("followup/visit_form.html", form=form, order=order,
                           sections=ODI_SECTIONS, original=original, pain_top=top,
                           scale=settings().pain_scale), status


@bp.route("/orders/<order_number>/follow-up/visits/new", methods=["GET", "POST"])
@requires_area(Area.CLINIC)
def record_visit(order_number: str):
    """Record a visit's scores (the visit to record may be chosen by ``?visit=``)."""
    order = _order(order_number)
    form = _visit_form(VisitForm(visit_key=request.args.get("visit"),
                                 visit_date=lab_today()), order)
    if not form.validate_on_submit():
        return _render_visit(form, order, 422 if request.method == "POST" else 200)
    try:
        visit = followup.record_visit(current_user, order, _visit_data(form), settings(),
                                      lab_zone())
    except ServiceError as error:
        show_service_error(form, error)
        return _render_visit(form, order, 422)
    flash(_("%(visit)s visit recorded.", visit=visit_label(visit.visit_key)), "success")
    return redirect(url_for(".patient_followup", order_number=order.order_number))


@bp.route("/follow-up/visits/<int:visit_id>/correct", methods=["GET", "POST"])
@requires_area(Area.CLINIC)
def correct_visit(visit_id: int):
    """Correct a visit: the corrected entry supersedes it, with the reason given."""
    original = _visit(visit_id)
    order = db.session.get(TreatmentOrder, original.order_id)
    form = CorrectVisitForm(obj=original if request.method == "GET" else None)
    if request.method == "GET":
        for entry, score in zip(form.odi, _answers(original), strict=False):
            entry.data = "" if score is None else str(score)
    form = _visit_form(form, order, original)
    if not form.validate_on_submit():
        return _render_visit(form, order, 422 if request.method == "POST" else 200, original)
    try:
        followup.correct_visit(current_user, original, _visit_data(form), form.reason.data,
                               settings(), lab_zone())
    except ServiceError as error:
        show_service_error(form, error)
        return _render_visit(form, order, 422, original)
    flash(_("Visit corrected; the earlier entry stays in the record."), "success")
    return redirect(url_for(".patient_followup", order_number=order.order_number))


def _answers(visit: FollowUpVisit) -> list[int | None]:
    return odi.decode(visit.odi_answers) or [None] * len(ODI_SECTIONS)
