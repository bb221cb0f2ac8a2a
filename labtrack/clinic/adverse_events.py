"""Adverse events after a treatment: reported by the treating clinician, linked at once to
the patient, the administration, the dose, the batch and the DIN; a serious one notifies
QA and the treating clinician. A correction is a new entry with its reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from labtrack.accounts import notices
from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.clinic.followup import injection_date, require_treating
from labtrack.clinic.models import AdverseEvent
from labtrack.clinic.rules.adverse_events import (
    Action,
    Causality,
    Outcome,
    Seriousness,
    Severity,
    encode_criteria,
    is_serious,
)
from labtrack.clock import lab_today
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch
from labtrack.database import not_superseded
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.identity.models import Sample
from labtrack.orders.models import TreatmentOrder
from labtrack.web.policy import Role

SERIOUS_NOTICE = "serious_adverse_event"
MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class EventData:
    """An adverse event as reported; ``disc_level`` names the dose when one is suspected
    (default: the first administration of the order)."""

    onset_date: date
    description: str
    severity: str
    causality_product: str
    causality_procedure: str
    action_taken: str
    outcome: str
    criteria: Sequence[str] = field(default_factory=tuple)
    disc_level: str | None = None


def current_events(**where) -> list[AdverseEvent]:
    """Events in force (corrections replace what they supersede), newest onset first;
    ``where`` filters by column (order_id=…, batch_id=…)."""
    query = select(AdverseEvent).where(not_superseded(AdverseEvent))
    for column, value in where.items():
        query = query.where(getattr(AdverseEvent, column) == value)
    return list(db.session.scalars(query.order_by(AdverseEvent.onset_date.desc(),
                                                  AdverseEvent.id.desc())))


def is_superseded(event: AdverseEvent) -> bool:
    return db.session.scalar(select(AdverseEvent.id).where(
        AdverseEvent.supersedes_id == event.id).limit(1)) is not None


def report_event(acting: User, order: TreatmentOrder, data: EventData, zone) -> AdverseEvent:
    """Record an adverse event, linked to the treatment; a serious one notifies. Commits."""
    require_treating(acting, order, _("Only a clinician may report an adverse event."))
    event = _new_event(acting, order, data, zone)
    if event.serious:
        _notify(order, event)
    db.session.commit()
    return event


def correct_event(acting: User, original: AdverseEvent, data: EventData, why: str | None,
                  zone) -> AdverseEvent:
    """Correct an event: a new entry supersedes it with the reason; one that becomes
    serious notifies as a new serious event does. Commits."""
    order = db.session.get(TreatmentOrder, original.order_id)
    require_treating(acting, order, _("Only a clinician may report an adverse event."))
    if not (why or "").strip():
        raise audit.ReasonRequired(_("Give the reason for the correction."), field="reason")
    if is_superseded(original):
        raise ServiceError(_("This event was already corrected; correct the latest entry."))
    with audit.reason(db.session, why):
        event = _new_event(acting, order, data, zone)
        event.supersedes_id, event.amendment_reason = original.id, why.strip()
        db.session.flush()
    if event.serious and not original.serious:
        _notify(order, event)
    db.session.commit()
    return event


def _new_event(acting: User, order: TreatmentOrder, data: EventData, zone) -> AdverseEvent:
    _check(order, data, zone)
    given = _administration(order, data.disc_level)
    dose = given.dose if given else None
    batch = db.session.get(Batch, dose.batch_id) if dose else db.session.scalar(
        select(Batch).where(Batch.order_id == order.id).order_by(Batch.id.desc()).limit(1))
    din = db.session.scalar(select(Sample.din).where(Sample.id == batch.sample_id)) \
        if batch else None
    criteria = encode_criteria(data.criteria)
    event = AdverseEvent(
        order_id=order.id, patient_id=order.patient_id,
        administration_id=given.id if given else None, dose_id=dose.id if dose else None,
        batch_id=batch.id if batch else None, din=din, onset_date=data.onset_date,
        description=data.description.strip(), serious=is_serious(data.criteria, data.outcome),
        seriousness_criteria=criteria or None, severity=data.severity,
        causality_product=data.causality_product,
        causality_procedure=data.causality_procedure, action_taken=data.action_taken,
        outcome=data.outcome, reported_by_id=acting.id)
    db.session.add(event)
    db.session.flush()
    return event


def _check(order: TreatmentOrder, data: EventData, zone) -> None:
    if not data.description.strip():
        raise ServiceError(_("Describe the event."), field="description")
    if len(data.description) > MAX_DESCRIPTION:
        raise ServiceError(_("The description is at most 4000 characters."),
                           field="description")
    if data.onset_date > lab_today(zone):
        raise ServiceError(_("The onset cannot be in the future."), field="onset_date")
    injected = injection_date(order, zone)
    if injected is None:
        raise ServiceError(_("No dose of this order has been administered yet."))
    if data.onset_date < injected:
        raise ServiceError(_("The onset cannot be before the injection (%(day)s).",
                             day=injected.isoformat()), field="onset_date")
    for value, kind, name in ((data.severity, Severity, "severity"),
                              (data.causality_product, Causality, "causality_product"),
                              (data.causality_procedure, Causality, "causality_procedure"),
                              (data.action_taken, Action, "action_taken"),
                              (data.outcome, Outcome, "outcome")):
        if value not in set(kind):
            raise ServiceError(_("Choose one of the listed values."), field=name)
    if any(value not in set(Seriousness) for value in data.criteria):
        raise ServiceError(_("Choose one of the listed values."), field="criteria")


def _administration(order: TreatmentOrder, level: str | None) -> Administration | None:
    query = (select(Administration).join(Dose, Dose.id == Administration.dose_id)
             .join(Batch, Batch.id == Dose.batch_id).where(Batch.order_id == order.id)
             .order_by(Administration.administered_at, Administration.id))
    if level:
        given = db.session.scalar(query.where(Administration.disc_level == level).limit(1))
        if given is None:
            raise ServiceError(_("No dose was given into %(level)s.", level=level),
                               field="disc_level")
        return given
    return db.session.scalar(query.limit(1))


def _notify(order: TreatmentOrder, event: AdverseEvent) -> None:
    """A serious event: QA and the treating clinician are told at once."""
    qa = db.session.scalars(select(User.id).where(User.role == Role.QA.value,
                                                  User.is_active_account.is_(True)))
    message = _("SERIOUS adverse event for order %(order)s (batch %(batch)s, DIN %(din)s), "
                "onset %(onset)s: %(description)s", order=order.order_number,
                batch=event_batch_number(event), din=event.din or "—",
                onset=event.onset_date.isoformat(), description=event.description[:200])
    for user_id in dict.fromkeys([order.treating_clinician_id, *qa]):
        notices.notify(user_id, SERIOUS_NOTICE, message, "critical", batch_id=event.batch_id,
                       order_id=order.id)


def event_batch_number(event: AdverseEvent) -> str:
    if event.batch_id is None:
        return "—"
    return db.session.scalar(select(Batch.batch_number).where(Batch.id == event.batch_id))


def dose_code_of(dose_id: int) -> str | None:
    return db.session.scalar(select(Dose.dose_code).where(Dose.id == dose_id))
