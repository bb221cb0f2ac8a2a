"""Bone-marrow sample receipt: DIN, acceptance rules, identity check, batch start."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select
from sqlalchemy.exc import IntegrityError

from labtrack import numbering
from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.clock import CLOCK_SKEW
from labtrack.culture import batches
from labtrack.culture.models import Batch
from labtrack.culture.rules.states import BatchState
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.identity.label_layout import LabelData, Stock
from labtrack.identity.models import ChainOfIdentityEvent, Sample
from labtrack.identity.printing import LabelJob, LabelKind, PrintRequest, print_job
from labtrack.identity.rules import isbt128
from labtrack.identity.rules.names import carries_name, same_record_number
from labtrack.orders.models import TreatmentOrder
from labtrack.qms.models import Deviation
from labtrack.samples.rules.acceptance import (
    AcceptanceRules,
    FailedRule,
    SampleFacts,
    evaluate_sample,
)
from labtrack.web.i18n import document_language
from labtrack.web.policy import Area, require_area

ACCEPTED, REJECTED, ACCEPTED_WITH_DEVIATION = "accepted", "rejected", "accepted_with_deviation"



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
    require_area(acting.role, Area.BENCH, _("Only a lab technician may receive samples."))
    if order.cancelled_reason:
        raise ServiceError(_("Order %(number)s is cancelled: no sample can be received for it.",
                             number=order.order_number))
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


def _check_identity(acting: User, order: TreatmentOrder, data: ReceiptData) -> None:
    """The tube must carry the ordered patient's record number and family name."""
    patient = order.patient
    number_ok = same_record_number(data.tube_record_number, patient.record_number)
    name_ok = carries_name(data.tube_patient_name, patient.family_name)
    if number_ok and name_ok:
        return
    expected = f"{patient.record_number} {patient.display_name}"
    presented = f"{data.tube_record_number} {data.tube_patient_name}"
    record_identity_event(acting, "sample_tube_mismatch", expected, presented, order_id=order.id)
    db.session.commit()
    raise IdentityMismatch(_(
        "Refused: the tube's patient identifiers (%(presented)s) do not match the order "
        "(%(expected)s). The sample was not received and the mismatch has been recorded.",
        presented=presented, expected=expected),
        field="tube_record_number" if not number_ok else "tube_patient_name")


def record_identity_event(acting: User | None, kind: str, expected: str, presented: str,
                          **links) -> ChainOfIdentityEvent:
    """Record a refused identity check (flushes; the caller commits)."""
    event = ChainOfIdentityEvent(kind=kind, user_id=acting.id if acting else None,
                                 expected=expected, presented=presented, **links)
    db.session.add(event)
    db.session.flush()
    return event


def _din_for(text: str | None, facility_id: str, now: datetime) -> isbt128.Din:
    if not (text or "").strip():
        return _generated_din(facility_id, now)
    try:
        din = isbt128.parse_entered_din(text)
    except isbt128.DinError as error:
        raise ServiceError(din_error_message(error), field="din") from None
    if _din_in_use(din):
        raise ServiceError(_("DIN %(din)s is already in use: a DIN is unique forever.",
                             din=din.grouped), field="din")
    return din


def _din_in_use(din: isbt128.Din) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Sample)
                                  .where(Sample.din == din.text)))


def _generated_din(facility_id: str, now: datetime) -> isbt128.Din:
    """The next DIN of the lab's year that no sample has: numbers a tube brought with it
    (typed or scanned at an earlier receipt) are skipped, never handed out again."""
    year = numbering.lab_year(now)
    for _attempt in range(MAX_DIN_SKIPS):
        din = isbt128.make_din(facility_id, year,
                               numbering.next_value(f"din:{facility_id}:{year}"))
        if not _din_in_use(din):
            return din
    raise ServiceError(_("No free DIN was found: scan or type the tube's DIN."), field="din")


def din_error_message(error: isbt128.DinError) -> str:
    """A translated message for a DIN that cannot be read."""
    messages = {
        "check_character": _("The check character does not match this DIN: re-scan or "
                             "re-type it."),
        "check_flags": _("The barcode's check flags do not match this DIN."),
        "check_character_missing": _("Type the DIN with its check character (the boxed "
                                     "character printed after it), or scan it."),
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
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # another receipt took this DIN a moment ago
        raise ServiceError(_("DIN %(din)s was just recorded by another receipt: a DIN is "
                             "unique forever. Check the tube.", din=din.grouped),
                           field="din") from None
    return sample


def _acceptance_deviation(acting, order, sample, batch, failed, data, now) -> Deviation | None:
    if not failed:
        return None
    deviation = Deviation(
        number=numbering.yearly_number("DEV", numbering.lab_year(now)), batch_id=batch.id,
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


def preview_receipt(data: ReceiptData, rules: AcceptanceRules) -> list[FailedRule]:
    """Check the receipt's times and fields, then list the acceptance rules it would break.

    Records nothing: the technician decides (reject, or accept with a deviation) first.
    """
    _check_times(data, utcnow())
    return evaluate_sample(rules, _facts(data))


def find_sample(din_text: str) -> Sample | None:
    """The sample with this DIN, in any form ``isbt128.parse_din`` reads; None otherwise."""
    try:
        din = isbt128.parse_din(din_text or "")
    except isbt128.DinError:
        return None
    return db.session.scalar(select(Sample).where(Sample.din == din.text))


def failed_rules_of(sample: Sample) -> list[FailedRule]:
    """The acceptance rules recorded as broken when the sample was received."""
    try:
        items = json.loads(sample.failed_rules or "[]")
    except ValueError:
        return []
    return [FailedRule(item.get("code", ""), "", item.get("params") or {}) for item in items
            if isinstance(item, dict)]


def batch_of(sample: Sample) -> Batch | None:
    """The batch started from this sample, if it was accepted."""
    return db.session.scalar(select(Batch).where(Batch.sample_id == sample.id))


def acceptance_deviation(sample: Sample) -> Deviation | None:
    """The deviation opened when the sample was accepted despite a broken rule."""
    return db.session.scalar(select(Deviation).where(Deviation.sample_id == sample.id,
                                                     Deviation.kind == "sample_acceptance"))


def samples_of(order: TreatmentOrder) -> list[Sample]:
    """Every sample received against the order, newest first."""
    return list(db.session.scalars(select(Sample).where(Sample.order_id == order.id)
                                   .order_by(Sample.received_at.desc(), Sample.id.desc())))


def samples_query() -> Select:
    """Received samples, newest receipt first."""
    return select(Sample).order_by(Sample.received_at.desc(), Sample.id.desc())


AWAITING_SAMPLE, SAMPLE_REJECTED, IN_BATCH, BATCH_ENDED = (
    "awaiting_sample", "sample_rejected", "batch", "batch_ended")
FINISHED_BATCH_STATES = (BatchState.REJECTED.value, BatchState.TERMINATED.value)


@dataclass(frozen=True)
class OrderProgress:
    """Where an order stands on the way from sample to batch."""

    stage: str
    sample: Sample | None = None
    batch: Batch | None = None
    failed_rules: list[FailedRule] = dataclasses.field(default_factory=list)

    @property
    def needs_sample(self) -> bool:
        """True when a (new) bone-marrow collection is needed to start a batch."""
        return self.stage != IN_BATCH


def order_progress(order: TreatmentOrder) -> OrderProgress:
    """Awaiting sample, sample rejected, batch under way, or batch ended."""
    batch = batches.active_batch_for(order)
    if batch is not None:
        return OrderProgress(IN_BATCH, batch.sample, batch)
    sample = latest_sample(order)
    if sample is None:
        return OrderProgress(AWAITING_SAMPLE)
    if sample.status == REJECTED:
        return OrderProgress(SAMPLE_REJECTED, sample, None, failed_rules_of(sample))
    return OrderProgress(BATCH_ENDED, sample, batch_of(sample))


def orders_awaiting_sample() -> Select:
    """Open orders with no batch under way, soonest planned procedure first."""
    under_way = exists().where(Batch.order_id == TreatmentOrder.id,
                               Batch.state.not_in(FINISHED_BATCH_STATES))
    return (select(TreatmentOrder).where(TreatmentOrder.cancelled_reason.is_(None), ~under_way)
            .order_by(TreatmentOrder.planned_procedure_date, TreatmentOrder.id))


LABEL_KINDS = ("tube", "flasks")
MAX_DIN_SKIPS = 1000
MAX_FLASK_LABELS = 40


def print_labels(acting: User, sample: Sample, kind: str, request: PrintRequest, flasks: int,
                 lab_name: str, stock: Stock | None = None) -> bytes:
    """Labels for an accepted sample's tube or culture flasks, as PDF or ZPL; logged and
    audited, commits. Reprints are allowed, marked REPRINT and logged as such."""
    require_area(acting.role, Area.BENCH,
                 _("Only a lab technician may print sample and flask labels."))
    if kind not in LABEL_KINDS:
        raise ServiceError(_("Unknown kind of label or layout."))
    if kind == "flasks" and not 1 <= flasks <= MAX_FLASK_LABELS:
        raise ServiceError(_("Print between 1 and %(most)d flask labels.",
                             most=MAX_FLASK_LABELS), field="flasks")
    batch = batch_of(sample)
    if batch is None:
        raise ServiceError(_("Labels are printed only for an accepted sample with its batch."))
    with document_language():  # labels are the lab's documents
        labels = _labels(sample, batch, kind, flasks, lab_name)
        job = LabelJob(LabelKind.TUBE if kind == "tube" else LabelKind.FLASK, sample.id,
                       batch.id, labels, [None] * len(labels))
        output = print_job(acting, job, request, f"{batch.batch_number} {kind}", stock)
    audit.record_event(db.session, "print_label", "sample", sample.id,
                       {"label": kind, "layout": request.layout, "format": request.format.value,
                        "count": len(labels), "batch": batch.batch_number, "din": sample.din})
    db.session.commit()
    return output


def _labels(sample: Sample, batch: Batch, kind: str, flasks: int,
            lab_name: str) -> list[LabelData]:
    patient = sample.order.patient
    common = {"din": isbt128.parse_din(sample.din), "batch_number": batch.batch_number,
              "patient_identifier": f"{patient.record_number} {patient.display_name}",
              "lab_name": lab_name}
    if kind == "tube":
        return [LabelData(title=_("Bone-marrow aspirate"), **common)]
    return [LabelData(title=_("Culture flask %(number)d of %(total)d", number=number,
                             total=flasks), **common)
            for number in range(1, flasks + 1)]
