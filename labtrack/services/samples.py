"""Bone-marrow sample receipt: DIN, acceptance rules, identity check, batch start."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from labtrack.domain import isbt128
from labtrack.domain.acceptance import AcceptanceRules, FailedRule, SampleFacts, evaluate_sample
from labtrack.domain.roles import Role
from labtrack.extensions import db
from labtrack.models.base import utcnow
from labtrack.models.batches import Batch
from labtrack.models.patients import TreatmentOrder
from labtrack.models.quality import Deviation
from labtrack.models.samples import ChainOfIdentityEvent, Sample
from labtrack.models.users import User
from labtrack.services import PermissionDenied, ServiceError, audit, batches, numbering

ACCEPTED, REJECTED, ACCEPTED_WITH_DEVIATION = "accepted", "rejected", "accepted_with_deviation"
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ReceiptData:
    """What the technician records when the sample arrives."""

    din: str | None  # scanned or typed; empty to generate one
    collected_at: datetime
    collection_site: str
    volume_ml: Decimal
    anticoagulant: str
    collected_by: str
    received_at: datetime
    temperature_c: Decimal
    container_intact: bool
    tube_record_number: str
    tube_patient_name: str
    accept_despite_failures: bool = False
    deviation_description: str | None = None


@dataclass(frozen=True)
class ReceiptOutcome:
    sample: Sample
    batch: Batch | None
    failed_rules: list[FailedRule]
    deviation: Deviation | None = None


class IdentityMismatch(ServiceError):
    """The tube's patient identifiers do not match the order: refused and recorded."""


def rules_from_config(config: Mapping) -> AcceptanceRules:
    """The lab's acceptance limits from the app configuration."""
    return AcceptanceRules(
        max_hours_to_receipt=config["SAMPLE_MAX_HOURS_TO_RECEIPT"],
        min_volume_ml=Decimal(config["SAMPLE_MIN_VOLUME_ML"]),
        max_volume_ml=Decimal(config["SAMPLE_MAX_VOLUME_ML"]),
        min_temperature_c=Decimal(config["SAMPLE_MIN_TEMPERATURE_C"]),
        max_temperature_c=Decimal(config["SAMPLE_MAX_TEMPERATURE_C"]),
    )


def receive_sample(acting: User, order: TreatmentOrder, data: ReceiptData,
                   rules: AcceptanceRules, facility_id: str) -> ReceiptOutcome:
    """Record a sample; accept it (starting its batch), or reject it with reasons. Commits."""
    if acting.role != Role.TECHNICIAN:
        raise PermissionDenied(_("Only a lab technician may receive samples."))
    audit.attribute_to(db.session, acting)
    now = utcnow()
    _check_times(data, now)
    _check_identity(acting, order, data)
    din = _din_for(data.din, facility_id, now)
    failed = evaluate_sample(rules, _facts(data))
    if failed and data.accept_despite_failures and not (data.deviation_description or "").strip():
        raise ServiceError(_("Describe the deviation to accept a sample that breaks a rule."),
                           field="deviation_description")
    accept = not failed or data.accept_despite_failures
    sample = _store_sample(acting, order, data, din, failed, accept)
    if not accept:
        db.session.commit()
        return ReceiptOutcome(sample, None, failed)
    batch = batches.start_batch(order, sample, now)
    deviation = _acceptance_deviation(acting, order, sample, batch, failed, data, now)
    db.session.commit()
    return ReceiptOutcome(sample, batch, failed, deviation)


def _check_times(data: ReceiptData, now: datetime) -> None:
    if data.received_at > now + CLOCK_SKEW:
        raise ServiceError(_("The receipt time cannot be in the future."), field="received_at")
    if data.collected_at > data.received_at:
        raise ServiceError(_("Collection must be before receipt."), field="collected_at")
    if data.volume_ml is None or data.volume_ml <= 0:
        raise ServiceError(_("Enter the volume in mL."), field="volume_ml")
    for field, value in (("collection_site", data.collection_site),
                         ("anticoagulant", data.anticoagulant),
                         ("collected_by", data.collected_by)):
        if not (value or "").strip():
            raise ServiceError(_("This field is required."), field=field)


def _normalise_name(text: str) -> str:
    return " ".join("".join(c for c in text.upper() if c.isalnum() or c.isspace()).split())


def _check_identity(acting: User, order: TreatmentOrder, data: ReceiptData) -> None:
    """The tube must carry the ordered patient's record number and family name."""
    patient = order.patient
    number_ok = (data.tube_record_number or "").strip().upper() == patient.record_number.upper()
    name_ok = _normalise_name(patient.family_name) in _normalise_name(data.tube_patient_name or "")
    if number_ok and name_ok:
        return
    expected = f"{patient.record_number} {patient.display_name}"
    presented = f"{data.tube_record_number} {data.tube_patient_name}"
    record_identity_event(acting, "sample_tube_mismatch", expected, presented, order_id=order.id)
    db.session.commit()
    raise IdentityMismatch(_(
        "Refused: the tube's patient identifiers (%(presented)s) do not match the order "
        "(%(expected)s). The sample was not received and the mismatch has been recorded.",
        presented=presented, expected=expected), field="tube_record_number")


def record_identity_event(acting: User | None, kind: str, expected: str, presented: str,
                          **links) -> ChainOfIdentityEvent:
    """Record a refused identity check (flushes; the caller commits)."""
    event = ChainOfIdentityEvent(kind=kind, user_id=acting.id if acting else None,
                                 expected=expected, presented=presented, **links)
    db.session.add(event)
    db.session.flush()
    return event


def _din_for(text: str | None, facility_id: str, now: datetime) -> isbt128.Din:
    if (text or "").strip():
        try:
            din = isbt128.parse_din(text)
        except isbt128.DinError as error:
            raise ServiceError(din_error_message(error), field="din") from None
    else:
        sequence = numbering.next_value(f"din:{facility_id}:{now.year}")
        din = isbt128.make_din(facility_id, now.year, sequence)
    if db.session.scalar(select(func.count()).select_from(Sample).where(Sample.din == din.text)):
        raise ServiceError(_("DIN %(din)s is already in use: a DIN is unique forever.",
                             din=din.grouped), field="din")
    return din


def din_error_message(error: isbt128.DinError) -> str:
    """A translated message for a DIN that cannot be read."""
    messages = {
        "check_character": _("The check character does not match this DIN: re-scan or "
                             "re-type it."),
        "check_flags": _("The barcode's check flags do not match this DIN."),
        "facility": _("The facility identification number is not valid."),
    }
    return messages.get(error.code, _("This is not a valid ISBT 128 DIN."))


def _facts(data: ReceiptData) -> SampleFacts:
    return SampleFacts(data.collected_at, data.received_at, Decimal(data.volume_ml),
                       Decimal(data.temperature_c), bool(data.container_intact))


def _store_sample(acting, order, data, din, failed, accept) -> Sample:
    status = (ACCEPTED_WITH_DEVIATION if failed else ACCEPTED) if accept else REJECTED
    sample = Sample(
        order_id=order.id, din=din.text, collected_at=data.collected_at,
        collection_site=data.collection_site.strip(), volume_ml=data.volume_ml,
        anticoagulant=data.anticoagulant.strip(), collected_by=data.collected_by.strip(),
        received_at=data.received_at, received_by_id=acting.id,
        temperature_c=data.temperature_c, container_intact=data.container_intact,
        tube_record_number=data.tube_record_number.strip().upper(),
        tube_patient_name=data.tube_patient_name.strip(), status=status,
        failed_rules=json.dumps([{"code": f.code, "params": f.params} for f in failed]),
    )
    db.session.add(sample)
    db.session.flush()
    return sample


def _acceptance_deviation(acting, order, sample, batch, failed, data, now) -> Deviation | None:
    if not failed:
        return None
    deviation = Deviation(
        number=numbering.yearly_number("DEV", now.year), batch_id=batch.id,
        order_id=order.id, sample_id=sample.id, kind="sample_acceptance", severity="major",
        status="open", title=_("Sample accepted outside acceptance rules"),
        description=data.deviation_description.strip(), opened_by_id=acting.id, opened_at=now,
    )
    db.session.add(deviation)
    db.session.flush()
    return deviation


def latest_sample(order: TreatmentOrder) -> Sample | None:
    """The order's most recently received sample."""
    return db.session.scalar(select(Sample).where(Sample.order_id == order.id)
                             .order_by(Sample.received_at.desc(), Sample.id.desc()).limit(1))
