"""Administration at the procedure: the wristband and each dose label are checked, then recorded.

The checks, in order: the dose exists, belongs to the patient whose wristband was scanned,
is a current dose (not one a formulation correction replaced), its batch is released, it
has not been given already, it has not expired, and it is the dose for the disc level
being treated. Any refusal is committed as a chain-of-identity event before it is raised,
so a mismatch is on record even though nothing was given.
When the last dose of a batch is recorded, the system completes the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import NoReturn

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.clinic import bedside_scan
from labtrack.clock import CLOCK_SKEW
from labtrack.culture import batches
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch
from labtrack.culture.rules.states import BatchState
from labtrack.database import utcnow
from labtrack.errors import PermissionDenied, ServiceError
from labtrack.extensions import db
from labtrack.orders import orders
from labtrack.orders.models import Patient, TreatmentOrder
from labtrack.orders.rules.disc_levels import DiscLevelError, normalise_level
from labtrack.quality.models import Release
from labtrack.samples import receipt as samples
from labtrack.web.policy import Area, may_read_patient, require_area

MAX_SCAN = 64
MAX_NOTES = 2000

GIVEN_STATES = (BatchState.RELEASED.value, BatchState.COMPLETED.value)


class AdministrationRefused(ServiceError):
    """A dose that must not be given now: refused, and recorded as a chain-of-identity event.

    ``code`` is one of unknown_dose, wrong_patient, superseded_dose, not_released,
    already_administered, expired, wrong_level (and the scans' misread_label,
    label_mismatch).
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, field="dose_code")
        self.code = code


@dataclass(frozen=True)
class Verified:
    """A dose checked against the patient and the disc level being treated."""

    patient: Patient
    dose: Dose
    batch: Batch
    order: TreatmentOrder
    disc_level: str


@dataclass(frozen=True)
class PatientDose:
    """A released dose of the patient's, with its administration if it was given."""

    dose: Dose
    batch: Batch
    order: TreatmentOrder
    administration: Administration | None

    def expired(self, now: datetime) -> bool:
        return self.administration is None and self.dose.expires_at <= now


def clean_scan(text: str | None) -> str:
    """A scanned or typed code: spaces around it removed, at most 64 characters."""
    return (text or "").strip()[:MAX_SCAN]


def find_patient_by_wristband(text: str | None) -> Patient | None:
    """The patient whose wristband carries this identifier (the hospital record number)."""
    code = clean_scan(text)
    return orders.find_patient(code) if code else None


def find_dose(text: str | None) -> Dose | None:
    """The dose with this code, as printed on its label (case-insensitive)."""
    code = clean_scan(text).upper()
    if not code:
        return None
    return db.session.scalar(select(Dose).where(func.upper(Dose.dose_code) == code))


def patient_doses(patient: Patient) -> list[PatientDose]:
    """The patient's current doses from released (or completed) batches, soonest procedure
    first."""
    rows = db.session.execute(
        select(Dose, Batch, TreatmentOrder, Administration)
        .join(Batch, Batch.id == Dose.batch_id)
        .join(TreatmentOrder, TreatmentOrder.id == Batch.order_id)
        .outerjoin(Administration, Administration.dose_id == Dose.id)
        .where(TreatmentOrder.patient_id == patient.id, Batch.state.in_(GIVEN_STATES),
               Dose.superseded_by_id.is_(None))
        .order_by(TreatmentOrder.planned_procedure_date, Batch.id, Dose.id))
    found = [PatientDose(*row) for row in rows]
    return sorted(found, key=lambda row: (row.order.planned_procedure_date, row.batch.id,
                                          _level_index(row.order, row.dose.disc_level)))


def _level_index(order: TreatmentOrder, level: str) -> int:
    return order.levels.index(level) if level in order.levels else len(order.levels)


def next_level(rows: list[PatientDose], now: datetime) -> str | None:
    """The first disc level whose dose can still be given (the form's default)."""
    return next((row.dose.disc_level for row in rows
                 if row.administration is None and not row.expired(now)), None)


def _require_clinician(acting: User) -> None:
    require_area(acting.role, Area.CLINIC, _("Only a clinician may record an administration."))
    audit.attribute_to(db.session, acting)


def _patient(wristband: str) -> Patient:
    patient = find_patient_by_wristband(wristband)
    if patient is None:
        raise ServiceError(_("No patient has this wristband identifier. Scan the wristband "
                             "again."), field="wristband")
    return patient


def _level(text: str | None) -> str:
    try:
        return normalise_level(text or "")
    except DiscLevelError:
        raise ServiceError(_("Choose the disc level being treated."),
                           field="disc_level") from None


def _require_treating(acting: User, patient: Patient) -> None:
    """Need-to-know (web.policy): only the clinician treating the patient's orders."""
    clinicians = {order.treating_clinician_id for order in patient.orders}
    if not may_read_patient(acting.role, acting.id, clinicians):
        raise PermissionDenied(_("%(patient)s is treated by another clinician: ask them, or "
                                 "have the order reassigned to you.",
                                 patient=patient.display_name))


def verify(acting: User, wristband: str, dose_scans: str | Sequence[str], disc_level: str,
           at: datetime | None = None) -> Verified:
    """Check the dose the scans name (a Data Matrix, a DIN and a product code, or a typed
    dose code) for the patient and disc level; refusals are recorded, committed.

    Raises ``AwaitingScan`` when a DIN or product code came alone: scan the other.
    """
    _require_clinician(acting)
    patient, level = _patient(wristband), _level(disc_level)
    _require_treating(acting, patient)
    at = at or utcnow()
    texts = [dose_scans] if isinstance(dose_scans, str) else list(dose_scans)
    texts = [clean_scan(text) for text in texts if clean_scan(text)] or [""]
    refuse = partial(_refuse, acting, patient=patient, level=level,
                     presented_code=" + ".join(texts))
    identity = bedside_scan.identify(texts, patient, refuse)
    dose = (find_dose(identity.dose_code) if identity.dose_code
            else bedside_scan.find_labelled(identity))
    if dose is None:
        refuse("unknown_dose", links=None, message=bedside_scan.unknown_dose_message(identity))
    batch = db.session.get(Batch, dose.batch_id)
    order = batch.order
    bedside_scan.check_label_expiry(identity, dose, partial(refuse, links=(order, batch, dose)))
    _check_dose(acting, patient, level, dose, batch, order, at)
    return Verified(patient, dose, batch, order, level)


def _check_dose(acting: User, patient: Patient, level: str, dose: Dose, batch: Batch,
                order: TreatmentOrder, at: datetime) -> None:
    def refuse(code: str, message: str) -> None:
        _refuse(acting, code, patient, level, dose.dose_code, (order, batch, dose), message)

    if order.patient_id != patient.id:
        refuse("wrong_patient", _("WRONG PATIENT: dose %(code)s is not for %(patient)s. "
                                  "Do not administer it.", code=dose.dose_code,
                                  patient=patient.display_name))
    if dose.superseded_by_id is not None:
        refuse("superseded_dose", bedside_scan.superseded_message(dose))
    if batch.state not in GIVEN_STATES or not _released(batch):
        refuse("not_released", _("NOT RELEASED: dose %(code)s has not been released by QA. "
                                 "Do not administer it.", code=dose.dose_code))
    if _administration_of(dose) is not None:
        refuse("already_administered", _("ALREADY GIVEN: dose %(code)s was already "
                                         "administered.", code=dose.dose_code))
    if dose.expires_at <= at:
        refuse("expired", _("EXPIRED: dose %(code)s has expired. Do not administer it.",
                            code=dose.dose_code))
    if dose.disc_level != level:
        refuse("wrong_level", _("WRONG DISC LEVEL: dose %(code)s is for %(dose_level)s, not "
                                "%(level)s. Do not administer it.", code=dose.dose_code,
                                dose_level=dose.disc_level, level=level))


def _released(batch: Batch) -> bool:
    return db.session.scalar(select(Release.decision).where(Release.batch_id == batch.id)) \
        == "released"


def _administration_of(dose: Dose) -> Administration | None:
    return db.session.scalar(select(Administration).where(Administration.dose_id == dose.id))


def _refuse(acting: User, code: str, patient: Patient, level: str, presented_code: str,
            links: tuple | None, message: str) -> NoReturn:
    """Record the refused check as a chain-of-identity event, commit, and raise."""
    order, batch, dose = links or (None, None, None)
    presented = presented_code or "—"
    if order is not None:
        what = ", ".join(part for part in (order.patient.record_number,
                                           dose.disc_level if dose else None,
                                           f"batch {batch.batch_number}" if batch else None)
                         if part)
        presented = f"{presented} ({what})"
    samples.record_identity_event(
        acting, f"administration_{code}", f"{patient.record_number} {patient.display_name}, "
        f"{level}", presented, order_id=order.id if order else None,
        batch_id=batch.id if batch else None, dose_id=dose.id if dose else None,
        details=message)
    db.session.commit()
    raise AdministrationRefused(message, code)


def record_administration(acting: User, wristband: str, dose_code: str, disc_level: str,
                          notes: str | None = None,
                          administered_at: datetime | None = None) -> Administration:
    """Check and record one administration; completes the batch after its last dose. Commits."""
    now = utcnow()
    at = administered_at or now
    if at > now + CLOCK_SKEW:
        raise ServiceError(_("The time of administration cannot be in the future."),
                           field="administered_at")
    notes = (notes or "").strip() or None
    if notes and len(notes) > MAX_NOTES:
        raise ServiceError(_("Notes are at most 2000 characters."), field="notes")
    verified = verify(acting, wristband, dose_code, disc_level, at)
    _check_after_release(verified.batch, at)
    administration = Administration(
        dose_id=verified.dose.id, disc_level=verified.disc_level, administered_at=at,
        administered_by_id=acting.id, wristband_scanned=clean_scan(wristband), notes=notes)
    db.session.add(administration)
    try:
        db.session.flush()
        _complete_if_all_given(verified.batch)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(_("This dose was recorded as administered by someone else a "
                             "moment ago."), field="dose_code") from None
    return administration


def _check_after_release(batch: Batch, at: datetime) -> None:
    decided_at = db.session.scalar(select(Release.decided_at).where(Release.batch_id == batch.id))
    if decided_at is not None and at < decided_at:
        raise ServiceError(_("The time of administration cannot be before the release."),
                           field="administered_at")


def _complete_if_all_given(batch: Batch) -> None:
    """The system completes the batch once every one of its doses is administered."""
    db.session.execute(select(Batch.id).where(Batch.id == batch.id).with_for_update())
    waiting = db.session.scalar(
        select(func.count()).select_from(Dose)
        .outerjoin(Administration, Administration.dose_id == Dose.id)
        .where(Dose.batch_id == batch.id, Dose.superseded_by_id.is_(None),
               Administration.id.is_(None)))
    if waiting == 0 and batch.state == BatchState.RELEASED.value:
        batches.change_state(None, batch, BatchState.COMPLETED,
                             _("Every dose of the batch has been administered"))
