"""The bedside scans read into a dose: strictly, and every misread label on record.

``administration.verify`` hands over what the scanner typed and a ``refuse`` that records
a chain-of-identity event, commits and raises; this module decides what the scans name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from labtrack.clinic.rules.bedside import (
    AwaitingOther,
    DoseIdentity,
    Misread,
    MisreadLabel,
    combine,
)
from labtrack.clock import zone_of
from labtrack.culture import formulation_corrections
from labtrack.culture.dose_models import Dose
from labtrack.culture.models import Batch
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.identity.models import Sample
from labtrack.identity.rules.isbt128 import Isbt128Error, expiry_data
from labtrack.identity.rules.scans import Scan, ScanKind, read_scan
from labtrack.orders.models import Patient

Refuse = Callable[..., None]  # refuse(code, links=…, message=…): records, commits, raises


class AwaitingScan(ServiceError):
    """Half of a dose label was scanned (its DIN or its product code): scan the other."""

    def __init__(self, message: str, held: str) -> None:
        super().__init__(message, field="dose_code")
        self.held = held


def identify(texts: Sequence[str], patient: Patient, refuse: Refuse) -> DoseIdentity:
    """The dose the scans name; a misread or a DIN of another patient's is refused."""
    try:
        scans = [read_scan(text) for text in texts]
    except Isbt128Error:
        refuse("misread_label", links=None, message=_(
            "“%(scan)s” is not the DIN, product code or 2-D code of a dose label. Do not "
            "administer: scan the dose label again.", scan=texts[-1]))
    found = combine(scans)
    if isinstance(found, MisreadLabel):
        refuse("misread_label", links=None, message=misread_message(found))
    if isinstance(found, AwaitingOther):
        _check_half(found.held, patient, refuse)
        raise AwaitingScan(_awaiting_message(found), found.held.text)
    return found


def _check_half(held: Scan, patient: Patient, refuse: Refuse) -> None:
    """A DIN alone already says whose cells these are: refuse another patient's at once."""
    if held.kind is not ScanKind.DIN:
        return
    sample = db_sample(held.din.text)
    if sample is None:
        refuse("unknown_dose", links=None, message=_(
            "No sample or dose has the DIN %(din)s. Do not administer: check the label.",
            din=held.din.keyboard_entry))
    if sample.order.patient_id != patient.id:
        refuse("wrong_patient", links=(sample.order, None, None), message=_(
            "WRONG PATIENT: DIN %(din)s is not from %(patient)s. Do not administer it.",
            din=held.din.keyboard_entry, patient=patient.display_name))


def db_sample(din_text: str) -> Sample | None:
    return db.session.scalar(select(Sample).where(Sample.din == din_text))


def find_labelled(identity: DoseIdentity) -> Dose | None:
    """The dose with this DIN and product code."""
    return db.session.scalar(
        select(Dose).join(Batch, Batch.id == Dose.batch_id)
        .join(Sample, Sample.id == Batch.sample_id)
        .where(Sample.din == identity.din.text, Dose.product_code == identity.product_code))


def unknown_dose_message(identity: DoseIdentity) -> str:
    if identity.dose_code is not None or identity.din is None:
        return _("No dose has the code %(code)s. Do not administer: check the label.",
                 code=identity.dose_code or "—")
    return _("No dose has the DIN %(din)s with the product code %(code)s. Do not "
             "administer: check the label.", din=identity.din.keyboard_entry,
             code=identity.product_code)


def check_label_expiry(identity: DoseIdentity, dose: Dose, refuse: Refuse) -> None:
    """A label whose expiry is not the dose's is not this dose's label: refuse it."""
    if identity.expiry is None:
        return
    recorded = expiry_data(dose.expires_at, zone_of(current_app.config))
    if identity.expiry != recorded:
        refuse("label_mismatch", message=_(
            "LABEL MISMATCH: the label's expiry (%(label)s) is not dose %(code)s's "
            "(%(recorded)s). Do not administer it; have the label checked and reprinted.",
            label=identity.expiry, code=dose.dose_code, recorded=recorded))


def superseded_message(dose: Dose) -> str:
    """A replaced dose's label is void: say so, and which dose replaced it."""
    correction = dose.superseded_by
    current = formulation_corrections.superseding_dose(dose)
    when = correction.corrected_at.astimezone(zone_of(current_app.config))
    return _("SUPERSEDED: dose %(code)s was replaced when the formulation was corrected on "
             "%(when)s (%(reason)s); its label is void. Do not administer it: use the dose "
             "labelled %(current)s.", code=dose.dose_code, when=f"{when:%Y-%m-%d %H:%M}",
             reason=correction.reason, current=current.dose_code if current else "—")


def misread_message(found: MisreadLabel) -> str:
    scanned = found.scanned
    if found.problem is Misread.DIN_TWICE:
        return _("You scanned a DIN (%(din)s) where the dose's product code was expected: "
                 "this is not a dose label (tube and flask labels carry only the DIN). Do not "
                 "administer: scan the dose label.", din=scanned.din.keyboard_entry)
    if found.problem is Misread.PRODUCT_CODE_TWICE:
        return _("You scanned a product code (%(code)s) where the DIN was expected: scan the "
                 "DIN on the same dose label.", code=scanned.product_code)
    if found.problem is Misread.EXPIRY_ONLY:
        return _("You scanned the expiry date (%(expiry)s), which does not say which dose "
                 "this is: scan the dose label's 2-D code, or its DIN and product code.",
                 expiry=scanned.text)
    return _("The 2-D code you scanned does not hold both a DIN and a product code: it is "
             "not a dose label. Do not administer.")


def _awaiting_message(found: AwaitingOther) -> str:
    if found.held.kind is ScanKind.DIN:
        return _("DIN %(din)s read. Now scan the product code on the same dose label.",
                 din=found.held.din.keyboard_entry)
    return _("Product code %(code)s read. Now scan the DIN on the same dose label.",
             code=found.held.product_code)
