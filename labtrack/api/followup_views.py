"""API: an order's follow-up visits and adverse events, under the same need-to-know as
its pages (the treating clinician, technicians and QA)."""

from __future__ import annotations

from flask import jsonify

from labtrack.api.views import _order, bp
from labtrack.clinic import adverse_events, followup
from labtrack.clinic.models import AdverseEvent, FollowUpVisit
from labtrack.clinic.rules.adverse_events import decode_criteria
from labtrack.clinic.rules.odi import decode


def _number(value) -> float | None:
    return None if value is None else float(value)


def visit_json(visit: FollowUpVisit) -> dict:
    return {
        "id": visit.id, "visit": visit.visit_key, "visit_date": visit.visit_date.isoformat(),
        "pain_scale": visit.pain_scale, "back_pain": visit.back_pain,
        "leg_pain": visit.leg_pain, "odi_percent": _number(visit.odi_percent),
        "odi_answers": decode(visit.odi_answers) or None, "pgic": visit.pgic,
        "analgesics": visit.analgesics, "notes": visit.notes,
        "mri": [{"disc_level": disc.disc_level, "pfirrmann_grade": disc.pfirrmann_grade,
                 "disc_height_mm": _number(disc.disc_height_mm),
                 "t2_signal": _number(disc.t2_signal)} for disc in visit.discs],
        "corrects": visit.supersedes_id, "correction_reason": visit.amendment_reason,
        "recorded_at": visit.created_at.isoformat()}


def event_json(event: AdverseEvent) -> dict:
    return {
        "id": event.id, "onset_date": event.onset_date.isoformat(),
        "description": event.description, "serious": event.serious,
        "seriousness_criteria": [c.value for c in decode_criteria(event.seriousness_criteria)],
        "severity": event.severity, "causality_product": event.causality_product,
        "causality_procedure": event.causality_procedure, "action_taken": event.action_taken,
        "outcome": event.outcome, "din": event.din,
        "batch_number": adverse_events.event_batch_number(event) if event.batch_id else None,
        "dose_code": event_dose_code(event),
        "corrects": event.supersedes_id, "correction_reason": event.amendment_reason,
        "reported_at": event.created_at.isoformat()}


def event_dose_code(event: AdverseEvent) -> str | None:
    return adverse_events.dose_code_of(event.dose_id) if event.dose_id else None


@bp.get("/orders/<order_number>/follow-up-visits")
def order_visits(order_number: str):
    """The order's follow-up visits in force (a correction replaces what it corrects)."""
    order = _order(order_number)
    return jsonify(items=[visit_json(visit) for visit in followup.current_visits(order)])


@bp.get("/orders/<order_number>/adverse-events")
def order_events(order_number: str):
    """The order's adverse events in force, newest onset first."""
    order = _order(order_number)
    return jsonify(items=[event_json(event)
                          for event in adverse_events.current_events(order_id=order.id)])
