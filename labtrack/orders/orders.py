"""Patients and treatment orders (clinicians)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Row, Select, func, or_, select

from labtrack import numbering
from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.orders.models import Patient, TreatmentOrder
from labtrack.orders.rules.authorisation import AuthorisationInput, authorisation_problems
from labtrack.orders.rules.disc_levels import DiscLevelError, format_levels, parse_levels
from labtrack.orders.rules.planning import DEFAULT_MAX_DAYS_AHEAD, planned_date_problem
from labtrack.orders.terms import planning_message
from labtrack.web.policy import Area, Role, require_area

SEXES = ("F", "M", "X")
MIN_CELLS_PER_DISC, MAX_CELLS_PER_DISC = 1_000_000, 500_000_000


@dataclass(frozen=True)
class PatientData:
    record_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str


@dataclass(frozen=True)
class OrderData:
    """What a clinician enters for a treatment order."""

    disc_levels: tuple[str, ...] | list[str] | str
    cells_per_disc: int
    tolerance_percent: int
    planned_procedure_date: date
    treating_clinician_id: int
    authorisation_reference: str | None = None
    authorisation_granted_on: date | None = None
    authorisation_levels: tuple[str, ...] | list[str] | str | None = None
    authorisation_expires_on: date | None = None
    qc_reserve_cells: int = 0
    notes: str | None = None


@dataclass(frozen=True)
class AuthorisationData:
    """The AEMPS authorisation recorded (or corrected) after the order was created."""

    authorisation_reference: str | None
    authorisation_granted_on: date | None
    authorisation_levels: tuple[str, ...] | list[str] | str | None
    authorisation_expires_on: date | None = None


def find_patient(record_number: str) -> Patient | None:
    """The patient with this hospital record number (case-insensitive)."""
    number = (record_number or "").strip().upper()
    return db.session.scalar(select(Patient).where(func.upper(Patient.record_number) == number))


def register_patient(acting: User, data: PatientData, today: date) -> Patient:
    """Register a patient; record numbers are unique. Flushes, does not commit."""
    _require_clinician(acting)
    number = (data.record_number or "").strip().upper()
    if not number or len(number) > 32:
        raise ServiceError(_("Enter the hospital record number."), field="record_number")
    if find_patient(number):
        raise ServiceError(_("A patient with this record number already exists."),
                           field="record_number")
    check_demographics((data.given_name or "").strip(), (data.family_name or "").strip(),
                       data.date_of_birth, data.sex, today)
    patient = Patient(record_number=number, given_name=data.given_name.strip(),
                      family_name=data.family_name.strip(), date_of_birth=data.date_of_birth,
                      sex=data.sex)
    db.session.add(patient)
    db.session.flush()
    return patient


def check_demographics(given: str, family: str, born: date | None, sex: str,
                       today: date) -> None:
    """Names present (at most 100 characters), a date of birth in the past, a known sex."""
    if not given or not family or len(given) > 100 or len(family) > 100:
        raise ServiceError(_("Enter the patient's given and family names."),
                           field="family_name")
    if born is None or not date(1900, 1, 1) <= born <= today:
        raise ServiceError(_("Enter a date of birth in the past."), field="date_of_birth")
    if sex not in SEXES:
        raise ServiceError(_("Choose the patient's sex."), field="sex")


def parse_order_levels(value) -> tuple[str, ...]:
    """The disc levels to treat, as typed or ticked; refused with a message on the field."""
    return _levels(value, "disc_levels")


def _require_clinician(acting: User) -> None:
    require_area(acting.role, Area.CLINIC, _("Only a clinician may register patients and orders."))
    audit.attribute_to(db.session, acting)


def _levels(value, field: str) -> tuple[str, ...]:
    try:
        return parse_levels(value)
    except DiscLevelError as error:
        messages = {
            "unknown": _("Unknown disc level %(level)s.", level=error.level),
            "repeated": _("Disc level %(level)s is given twice.", level=error.level),
            "empty": _("Choose at least one disc level."),
        }
        raise ServiceError(messages[error.code], field=field) from None


def _check_order(data: OrderData, today: date) -> tuple[str, ...]:
    levels = _levels(data.disc_levels, "disc_levels")
    if not MIN_CELLS_PER_DISC <= data.cells_per_disc <= MAX_CELLS_PER_DISC:
        raise ServiceError(_("Cells per disc must be between 1 and 500 million."),
                           field="cells_per_disc")
    if not 0 <= data.tolerance_percent <= 50:
        raise ServiceError(_("The tolerance must be between 0 and 50 %."),
                           field="tolerance_percent")
    if data.qc_reserve_cells < 0:
        raise ServiceError(_("The QC reserve cannot be negative."), field="qc_reserve_cells")
    check_planned_date(data.planned_procedure_date, today, None)
    check_clinician(data.treating_clinician_id)
    return levels


def check_clinician(user_id: int | None) -> None:
    """The treating clinician must be an active clinician's account."""
    clinician = db.session.get(User, user_id) if user_id else None
    if clinician is None or clinician.role != Role.CLINICIAN or not clinician.is_active_account:
        raise ServiceError(_("Choose an active clinician."), field="treating_clinician_id")


def check_planned_date(planned: date | None, today: date, authorised_until: date | None) -> None:
    """Refuse a planned date in the past, beyond the horizon or after the authorisation."""
    horizon = int(current_app.config.get("ORDER_MAX_DAYS_AHEAD", DEFAULT_MAX_DAYS_AHEAD))
    problem = planned_date_problem(planned, today, horizon, authorised_until)
    if problem is not None:
        raise ServiceError(planning_message(problem), field="planned_procedure_date")


def create_order(acting: User, patient: Patient, data: OrderData, today: date) -> TreatmentOrder:
    """A clinician orders doses for a patient; commits."""
    _require_clinician(acting)
    levels = _check_order(data, today)
    auth_levels = _check_authorisation(data, today)
    if auth_levels:  # the procedure within the authorisation's validity
        check_planned_date(data.planned_procedure_date, today, data.authorisation_expires_on)
    order = TreatmentOrder(
        order_number=numbering.yearly_number("ORD", today.year), patient=patient,
        disc_levels=format_levels(levels), cells_per_disc=data.cells_per_disc,
        tolerance_percent=data.tolerance_percent, qc_reserve_cells=data.qc_reserve_cells,
        planned_procedure_date=data.planned_procedure_date,
        treating_clinician_id=data.treating_clinician_id, created_by_id=acting.id,
        authorisation_reference=(data.authorisation_reference or "").strip() or None,
        authorisation_granted_on=data.authorisation_granted_on,
        authorisation_levels=format_levels(auth_levels) if auth_levels else None,
        authorisation_expires_on=data.authorisation_expires_on,
        notes=(data.notes or "").strip() or None,
    )
    db.session.add(order)
    db.session.commit()
    return order


def record_authorisation(acting: User, order: TreatmentOrder, data: AuthorisationData,
                         why: str, today: date) -> TreatmentOrder:
    """Record, renew or correct an order's AEMPS authorisation, with a reason; commits."""
    _require_clinician(acting)
    levels = _check_authorisation(data, today)
    if levels is None:
        raise ServiceError(_("Enter the authorisation reference."),
                           field="authorisation_reference")
    with audit.reason(db.session, why):
        order.authorisation_reference = data.authorisation_reference.strip()
        order.authorisation_granted_on = data.authorisation_granted_on
        order.authorisation_levels = format_levels(levels)
        order.authorisation_expires_on = data.authorisation_expires_on
        db.session.flush()
    db.session.commit()
    return order


def _check_authorisation(data: OrderData | AuthorisationData,
                         today: date) -> tuple[str, ...] | None:
    """The authorisation is optional at ordering, but what is entered must be whole."""
    reference = (data.authorisation_reference or "").strip()
    levels = (_levels(data.authorisation_levels, "authorisation_levels")
              if data.authorisation_levels else None)
    given = (data.authorisation_granted_on, levels, data.authorisation_expires_on)
    if not reference:
        if any(value for value in given):
            raise ServiceError(_("Enter the authorisation reference, or leave every "
                                 "authorisation field empty."), field="authorisation_reference")
        return None
    if len(reference) > 64:
        raise ServiceError(_("The reference is at most 64 characters."),
                           field="authorisation_reference")
    granted, expires = data.authorisation_granted_on, data.authorisation_expires_on
    if granted is None or granted > today:
        raise ServiceError(_("Enter the date the authorisation was granted (not in the future)."),
                           field="authorisation_granted_on")
    if not levels:
        raise ServiceError(_("Tick the disc levels the authorisation covers."),
                           field="authorisation_levels")
    if expires is not None and expires < granted:
        raise ServiceError(_("The authorisation cannot expire before it was granted."),
                           field="authorisation_expires_on")
    return levels


def enrol_patient(acting: User, data: PatientData, today: date) -> Patient:
    """Register a patient on their own (before any order); commits."""
    patient = register_patient(acting, data, today)
    db.session.commit()
    return patient


def create_order_for_new_patient(acting: User, patient_data: PatientData, data: OrderData,
                                 today: date) -> TreatmentOrder:
    """Register a patient and order for them in one transaction; commits."""
    patient = register_patient(acting, patient_data, today)
    try:
        return create_order(acting, patient, data, today)
    except ServiceError:
        db.session.rollback()
        raise


# Built once: the readiness list's filter offers them on every view.
ACTIVE_CLINICIANS = (select(User.id, User.full_name)
                     .where(User.role == Role.CLINICIAN.value, User.is_active_account)
                     .order_by(User.full_name))


def active_clinicians() -> list[Row]:
    """Active clinician accounts (``id, full_name``), by full name: the choices for a
    treating clinician."""
    return db.session.execute(ACTIVE_CLINICIANS).all()


def find_order(order_number: str) -> TreatmentOrder | None:
    """The order with this number (case-insensitive)."""
    number = (order_number or "").strip().upper()
    return db.session.scalar(select(TreatmentOrder).where(TreatmentOrder.order_number == number))


def _text_filter(text: str | None):
    words = (text or "").strip()[:100]
    if not words:
        return None
    words = words.upper()
    return or_(*(func.upper(column).contains(words, autoescape=True)
                 for column in (Patient.record_number, Patient.family_name, Patient.given_name)))


def patients_query(search: str | None = None) -> Select:
    """Patients by family name, optionally filtered by record number or name."""
    query = select(Patient).order_by(Patient.family_name, Patient.given_name, Patient.id)
    condition = _text_filter(search)
    return query.where(condition) if condition is not None else query


ORDER_SORTS = ("newest", "soonest")


def orders_query(search: str | None = None, sort: str = "newest") -> Select:
    """Orders by planned procedure date (newest or soonest first), optionally filtered."""
    planned = TreatmentOrder.planned_procedure_date
    order_by = (planned.asc(), TreatmentOrder.id) if sort == "soonest" else (
        planned.desc(), TreatmentOrder.id.desc())
    query = select(TreatmentOrder).join(TreatmentOrder.patient).order_by(*order_by)
    condition = _text_filter(search)
    if condition is not None:
        number = (search or "").strip().upper()[:100]
        query = query.where(or_(condition, TreatmentOrder.order_number.contains(
            number, autoescape=True)))
    return query


def patient_orders(patient: Patient) -> list[TreatmentOrder]:
    """The patient's orders, newest planned date first."""
    return list(db.session.scalars(
        select(TreatmentOrder).where(TreatmentOrder.patient_id == patient.id)
        .order_by(TreatmentOrder.planned_procedure_date.desc(), TreatmentOrder.id.desc())))


def authorisation_of(order: TreatmentOrder) -> AuthorisationInput | None:
    """The order's authorisation as the domain rules see it."""
    if not order.authorisation_reference:
        return None
    return AuthorisationInput(order.authorisation_reference, order.authorisation_granted_on,
                              order.authorised_levels, order.authorisation_expires_on)


def authorisation_issues(order: TreatmentOrder, today: date):
    """Why the order's authorisation does not allow starting or releasing (empty if fine)."""
    return authorisation_problems(authorisation_of(order), order.levels, today)
