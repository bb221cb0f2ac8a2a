"""Deviations: open, investigate (changes need a reason), close with a QA signature."""

import pytest
from sqlalchemy import select

from labtrack.accounts.rules.signatures import Meaning
from labtrack.audit.models import AuditEvent
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.qms import deviations
from labtrack.qms.deviations import Investigation
from labtrack.qms.models import Deviation
from tests import builders

FINDINGS = Investigation("Door left ajar during transfer", "No impact: temperature in range",
                         "Retrained the operator", "Door alarm added to the checklist")


def _open(batch=None, user=None, severity="major", **fields):
    values = {"kind": "process", "severity": severity, "title": "Incubator door open",
              "description": "Found ajar at 08:10", **fields}
    return deviations.report_deviation(user or builders.user("technician"), batch, **values)


def test_a_technician_opens_a_deviation_on_a_batch(app):
    batch = builders.seeded_batch()
    technician = builders.user("technician")
    deviation = _open(batch, technician, immediate_action="Door closed, log checked")
    assert deviation.number.startswith("DEV") and deviation.status == "open"
    assert (deviation.batch_id, deviation.order_id, deviation.sample_id) == (
        batch.id, batch.order_id, batch.sample_id)
    assert deviation.opened_by_id == technician.id
    assert deviation.immediate_action == "Door closed, log checked"
    assert deviations.batch_deviations(batch) == [deviation]


def test_open_deviation_only_flushes_for_other_use_cases(app):
    batch = builders.seeded_batch()
    deviation = deviations.open_deviation(builders.user("qa"), batch, "equipment", "minor",
                                          "Pipette out of calibration", "Found on audit")
    assert deviation.id is not None
    db.session.rollback()
    assert db.session.scalars(select(Deviation)).all() == []


@pytest.mark.parametrize(("fields", "message"), [
    ({"severity": "catastrophic"}, "minor, major or critical"),
    ({"kind": "gossip"}, "kind of deviation"),
    ({"title": " "}, "short title"),
    ({"title": "x" * 201}, "short title"),
    ({"description": ""}, "Describe"),
])
def test_a_deviation_needs_kind_severity_title_and_description(app, fields, message):
    with pytest.raises(ServiceError, match=message):
        _open(**fields)


def test_clinicians_do_not_record_deviations(app):
    with pytest.raises(ServiceError, match="lab or QA staff"):
        _open(user=builders.user("clinician"))


def test_investigation_is_recorded_and_changing_a_finding_needs_a_reason(app):
    deviation = _open()
    technician = builders.user("technician")
    deviations.investigate(technician, deviation, Investigation(root_cause="Unknown yet"))
    assert deviation.status == "investigating" and deviation.root_cause == "Unknown yet"
    with pytest.raises(ServiceError, match="reason"):
        deviations.investigate(technician, deviation, FINDINGS)
    db.session.rollback()
    deviations.investigate(technician, deviation, FINDINGS, "Root cause found on CCTV review")
    assert deviation.root_cause == FINDINGS.root_cause
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "deviation", AuditEvent.action == "update")
        .order_by(AuditEvent.seq.desc())).first()
    assert event.reason == "Root cause found on CCTV review"
    assert '"Unknown yet"' in event.changes


def test_closing_needs_qa_a_complete_investigation_and_a_closed_signature(app):
    deviation = _open()
    qa = builders.user("qa", full_name="Carmen Navarro")
    with pytest.raises(ServiceError, match="Record the root cause"):
        deviations.close(qa, deviation, builders.sign_as(qa, Meaning.CLOSED))
    db.session.rollback()
    deviations.investigate(qa, deviation, FINDINGS)
    with pytest.raises(ServiceError, match="Only QA"):
        technician = builders.user("technician")
        deviations.close(technician, deviation, builders.sign_as(technician, Meaning.CLOSED))
    db.session.rollback()
    with pytest.raises(ServiceError, match="meaning closed"):
        deviations.close(qa, deviation, builders.sign_as(qa, Meaning.APPROVED))
    db.session.rollback()

    deviations.close(qa, deviation, builders.sign_as(qa, Meaning.CLOSED))

    assert deviation.status == "closed" and deviation.closed_at is not None
    assert deviation.closure_signature.printed_name == "Carmen Navarro"
    assert deviation.closure_signature.meaning == "closed"
    with pytest.raises(ServiceError, match="already closed"):
        deviations.close(qa, deviation, builders.sign_as(qa, Meaning.CLOSED))
    db.session.rollback()
    with pytest.raises(ServiceError, match="closed"):
        deviations.investigate(qa, deviation, FINDINGS, "late")


def test_the_list_filters_by_status(app):
    closed = _open(title="Closed one")
    qa = builders.user("qa")
    deviations.investigate(qa, closed, FINDINGS)
    deviations.close(qa, closed, builders.sign_as(qa, Meaning.CLOSED))
    still_open = _open(title="Open one")
    assert db.session.scalars(deviations.deviations_query("open")).all() == [still_open]
    assert db.session.scalars(deviations.deviations_query("closed")).all() == [closed]
    assert len(db.session.scalars(deviations.deviations_query(None)).all()) == 2
    assert deviations.find_deviation(still_open.number.lower()) == still_open
