"""Corrections of orders and patients: each with a reason, audited, never deleted.

A clinician may move the planned procedure date, hand the order to another treating
clinician, change the disc levels while no batch has started (the batch's target and its
doses follow the levels), cancel the order, and correct a patient's demographics. Each
change is one audited update carrying its reason (old and new values in the trail, shown
in the record's history); a cancelled order is kept, marked with its reason.

These use cases ask whether the order's batch has started, which culture knows, so they
are the clinic's (above culture), like the order pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import exists, select

from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.culture.models import Batch
from labtrack.culture.rules.states import BatchState
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.orders import orders
from labtrack.orders.models import Patient, TreatmentOrder
from labtrack.orders.orders import PatientData
from labtrack.orders.rules.disc_levels import format_levels
from labtrack.web.policy import Area, require_area

ENDED_WITHOUT_PRODUCT = (BatchState.TERMINATED.value, BatchState.REJECTED.value)
MAX_REASON = 1000


@dataclass(frozen=True)
class OrderCorrection:
    """The order's new planned date, treating clinician and disc levels."""

    planned_procedure_date: date | None
    treating_clinician_id: int | None
    disc_levels: tuple[str, ...] | list[str] | str


def _start(acting: User, why: str) -> str:
    require_area(acting.role, Area.CLINIC, _("Only a clinician may correct orders and "
                                             "patients."))
    audit.attribute_to(db.session, acting)
    why = (why or "").strip()
    if not why or len(why) > MAX_REASON:
        raise audit.ReasonRequired(_("Give the reason for the change (kept in the audit "
                                     "trail)."), field="reason")
    return why


def batch_started(order: TreatmentOrder) -> bool:
    """True when a batch of the order is under way or made a product (not one that ended
    without, terminated or rejected: a new sample may start again)."""
    return db.session.scalar(select(exists().where(
        Batch.order_id == order.id, Batch.state.not_in(ENDED_WITHOUT_PRODUCT)))) or False


def _batch_done(order: TreatmentOrder) -> bool:
    return db.session.scalar(select(exists().where(
        Batch.order_id == order.id, Batch.state == BatchState.COMPLETED.value))) or False


def correct_order(acting: User, order: TreatmentOrder, change: OrderCorrection, why: str,
                  today: date) -> TreatmentOrder:
    """Change the planned date, the treating clinician or the disc levels. Commits."""
    why = _start(acting, why)
    if order.cancelled_reason:
        raise ServiceError(_("Order %(number)s is cancelled: it can no longer change.",
                             number=order.order_number))
    if _batch_done(order):
        raise ServiceError(_("The doses of order %(number)s were administered: the order "
                             "can no longer change.", number=order.order_number))
    levels = orders.parse_order_levels(change.disc_levels)
    if levels != order.levels and batch_started(order):
        raise ServiceError(_("The batch has started: its disc levels can no longer change. "
                             "Ask QA to terminate the batch before ordering other levels."),
                           field="disc_levels")
    if change.planned_procedure_date != order.planned_procedure_date:
        orders.check_planned_date(change.planned_procedure_date, today,
                                  order.authorisation_expires_on)
    orders.check_clinician(change.treating_clinician_id)
    with audit.reason(db.session, why):
        order.planned_procedure_date = change.planned_procedure_date
        order.treating_clinician_id = change.treating_clinician_id
        order.disc_levels = format_levels(levels)
        db.session.flush()
    db.session.commit()
    return order


def cancel_order(acting: User, order: TreatmentOrder, why: str) -> TreatmentOrder:
    """Cancel an order with its reason; it is kept, marked cancelled. Commits."""
    why = _start(acting, why)
    if order.cancelled_reason:
        raise ServiceError(_("Order %(number)s is already cancelled.", number=order.order_number))
    if batch_started(order):
        raise ServiceError(_("A batch of order %(number)s is under way or released: QA must "
                             "terminate or reject it before the order is cancelled.",
                             number=order.order_number))
    with audit.reason(db.session, why):
        order.cancelled_reason = why
        db.session.flush()
    db.session.commit()
    return order


def correct_patient(acting: User, patient: Patient, data: PatientData, why: str,
                    today: date) -> Patient:
    """Correct a patient's names, date of birth or sex (the record number stays). Commits."""
    why = _start(acting, why)
    given, family = (data.given_name or "").strip(), (data.family_name or "").strip()
    orders.check_demographics(given, family, data.date_of_birth, data.sex, today)
    with audit.reason(db.session, why):
        patient.given_name, patient.family_name = given, family
        patient.date_of_birth, patient.sex = data.date_of_birth, data.sex
        db.session.flush()
    db.session.commit()
    return patient
