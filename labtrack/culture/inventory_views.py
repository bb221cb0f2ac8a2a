"""Reagent lots and equipment (technicians and QA), with the recall list of a lot."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.culture import recall
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.inventory import inventory
from labtrack.inventory.forms import (
    CalibrationForm,
    EquipmentForm,
    InventoryFilterForm,
    LotDecisionForm,
    LotForm,
    ServiceStatusForm,
)
from labtrack.inventory.inventory import EquipmentData, LotData
from labtrack.inventory.models import Equipment, ReagentLot
from labtrack.inventory.rules.lots import decisions_from
from labtrack.inventory.terms import lot_status_label, lot_status_word
from labtrack.web.forms import show_service_error
from labtrack.web.pagination import list_page
from labtrack.web.policy import Area
from labtrack.web.security import requires_area
from labtrack.web.templating import lab_today

bp = Blueprint("inventory", __name__, url_prefix="/inventory")
bp.add_app_template_filter(lot_status_label, "lot_status")
USERS = (Area.BENCH, Area.QUALITY)  # technicians and QA; the services decide who does what


def _filters() -> InventoryFilterForm:
    form = InventoryFilterForm(request.args)
    if not form.validate():
        form.q.data, form.status.data = None, None
    return form


@bp.route("/lots")
@requires_area(*USERS)
def lots():
    form = _filters()
    page = list_page(inventory.lots_query(form.status.data, form.q.data))
    return render_template("inventory/lots.html", form=form, page=page, today=lab_today())


@bp.route("/lots/new", methods=["GET", "POST"])
@requires_area(*USERS)
def new_lot():
    form = LotForm()
    if form.validate_on_submit():
        try:
            lot = inventory.register_lot(current_user, LotData(
                form.material.data, form.manufacturer.data, form.lot_number.data,
                form.expiry_date.data, form.notes.data))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Lot %(lot)s registered, in quarantine until QA releases it.",
                    lot=lot.lot_number), "success")
            return redirect(url_for("inventory.lot", lot_id=lot.id))
    return render_template("inventory/new_lot.html", form=form), _status()


def _status() -> int:
    return 400 if request.method == "POST" else 200


def _lot_or_404(lot_id: int) -> ReagentLot:
    return db.session.get(ReagentLot, lot_id) or abort(404)


def _lot_page(item: ReagentLot, status: int = 200, decision_form=None):
    decision_form = decision_form or LotDecisionForm()
    decisions = decisions_from(item.status)
    decision_form.status.choices = [choice for choice in decision_form.status.choices
                                    if choice.value in decisions]
    page = list_page(recall.recall_query(item), cap=None)  # a recall: the exact count
    return render_template("inventory/lot.html", lot=item, today=lab_today(), page=page,
                           uses=recall.lot_uses(item, page.items),
                           decision_form=decision_form), status


@bp.route("/lots/<int:lot_id>")
@requires_area(*USERS)
def lot(lot_id: int):
    return _lot_page(_lot_or_404(lot_id))


@bp.route("/lots/<int:lot_id>/decision", methods=["POST"])
@requires_area(Area.QUALITY)  # releasing or rejecting a lot is QA's decision
def decide_lot(lot_id: int):
    item = _lot_or_404(lot_id)
    form = LotDecisionForm()
    if form.validate_on_submit():
        try:
            inventory.decide_lot(current_user, item, form.status.data, form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Lot %(lot)s is now %(status)s.", lot=item.lot_number,
                    status=lot_status_word(item.status)), "success")
            return redirect(url_for("inventory.lot", lot_id=item.id))
    return _lot_page(item, 400, form)


@bp.route("/equipment")
@requires_area(*USERS)
def equipment():
    form = _filters()
    page = list_page(inventory.equipment_query(form.q.data))
    return render_template("inventory/equipment_list.html", form=form, page=page,
                           today=lab_today())


@bp.route("/equipment/new", methods=["GET", "POST"])
@requires_area(*USERS)
def new_equipment():
    form = EquipmentForm()
    if form.validate_on_submit():
        try:
            item = inventory.register_equipment(current_user, EquipmentData(
                form.identifier.data, form.kind.data, form.calibration_due.data,
                form.description.data))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Equipment %(item)s registered.", item=item.identifier), "success")
            return redirect(url_for("inventory.equipment_item", item_id=item.id))
    return render_template("inventory/new_equipment.html", form=form), _status()


def _item_or_404(item_id: int) -> Equipment:
    return db.session.get(Equipment, item_id) or abort(404)


def _item_page(item: Equipment, status: int = 200, **forms):
    forms = {"calibration_form": CalibrationForm(prefix="cal"),
             "service_form": ServiceStatusForm(prefix="svc"), **forms}
    page = list_page(recall.equipment_use_query(item))
    return render_template("inventory/equipment.html", item=item, today=lab_today(), page=page,
                           batches=recall.batches_by_id(s.batch_id for s in page.items),
                           **forms), status


@bp.route("/equipment/<int:item_id>")
@requires_area(*USERS)
def equipment_item(item_id: int):
    return _item_page(_item_or_404(item_id))


@bp.route("/equipment/<int:item_id>/calibration", methods=["POST"])
@requires_area(*USERS)
def record_calibration(item_id: int):
    item = _item_or_404(item_id)
    form = CalibrationForm(prefix="cal")
    if form.validate_on_submit():
        try:
            inventory.record_calibration(current_user, item, form.calibration_due.data,
                                         form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Calibration recorded: next due %(date)s.",
                    date=item.calibration_due.isoformat()), "success")
            return redirect(url_for("inventory.equipment_item", item_id=item.id))
    return _item_page(item, 400, calibration_form=form)


@bp.route("/equipment/<int:item_id>/service", methods=["POST"])
@requires_area(*USERS)
def set_in_service(item_id: int):
    item = _item_or_404(item_id)
    form = ServiceStatusForm(prefix="svc")
    in_service = request.args.get("in_service") == "1"
    if form.validate_on_submit():
        try:
            inventory.set_in_service(current_user, item, in_service, form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Saved. The change is in the audit trail."), "success")
            return redirect(url_for("inventory.equipment_item", item_id=item.id))
    return _item_page(item, 400, service_form=form)
