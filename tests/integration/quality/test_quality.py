"""QC results judged against the batch's specification version; specification versions."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from labtrack.accounts.rules.signatures import Meaning
from labtrack.audit.models import AuditEvent
from labtrack.culture import batches
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.qms import specifications as versions
from labtrack.qms.models import Specification
from labtrack.qms.rules.specification import DEFAULT_SPECIFICATION
from labtrack.quality import qc as quality
from labtrack.quality.qc import ResultData
from tests import builders


def _stricter_viability(limit: int):
    return [replace(test, lower=limit) if test.code == "viability" else test
            for test in DEFAULT_SPECIFICATION]


def _new_version(qa, tests, summary="Viability limit raised to 90 % (risk review 2026-02)"):
    return quality.new_specification_version(qa, tests, summary,
                                             builders.sign_as(qa, Meaning.APPROVED))


def _line(batch, code):
    lines = quality.result_lines(quality.specification_tests(batch),
                                 quality.current_results(batch))
    return next(line for line in lines if line.test.code == code)


def test_a_batch_is_judged_against_the_version_in_force_when_it_started(app):
    started_before = builders.harvested_batch()
    qa = builders.user("qa")
    spec = _new_version(qa, _stricter_viability(90))
    assert spec.version == 2 and spec.created_by_id == qa.id
    started_after = builders.harvested_batch()
    assert started_after.specification_id == spec.id != started_before.specification_id

    assert builders.qc_result(started_before, "viability", "80").verdict == "pass"
    assert builders.qc_result(started_after, "viability", "80").verdict == "fail"
    assert _line(started_after, "viability").limit == "≥ 90 %"


def test_a_new_version_is_signed_and_validated_and_qa_only(app):
    qa = builders.user("qa")
    with pytest.raises(ServiceError, match="Only QA"):
        _new_version(builders.user("technician"), list(DEFAULT_SPECIFICATION))
    db.session.rollback()
    broken = [replace(DEFAULT_SPECIFICATION[0], lower=None, upper=None)]
    with pytest.raises(ServiceError, match="Viability is numeric but has no limit"):
        _new_version(qa, broken)
    db.session.rollback()
    with pytest.raises(ServiceError, match="what changed"):
        _new_version(qa, list(DEFAULT_SPECIFICATION), summary=" ")
    db.session.rollback()
    with pytest.raises(ServiceError, match="approved"):
        quality.new_specification_version(qa, list(DEFAULT_SPECIFICATION), "Reworded",
                                          builders.sign_as(qa, Meaning.REVIEWED))
    db.session.rollback()
    assert db.session.scalars(select(Specification)).all() == []

    spec = _new_version(qa, list(DEFAULT_SPECIFICATION)[:3])
    assert [test.code for test in spec.tests] == ["viability", "cd73", "cd90"]
    sign = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign")).one()
    assert sign.record_type == "specification" and sign.record_id == str(spec.id)
    assert [s.version for s in quality.specification_versions()] == [2, 1]


def test_results_are_judged_and_stored_with_method_instrument_analyst_and_date(app):
    batch = builders.harvested_batch()
    analyst = builders.user("technician", full_name="Rosa Vidal")
    at = utcnow() - timedelta(hours=2)
    result = builders.qc_result(batch, "endotoxin", "0,5", analyst, tested_at=at,
                                instrument="Endosafe nexgen-PTS")
    assert result.numeric_value == Decimal("0.5") and result.verdict == "fail"  # limit < 0.5
    assert (result.method, result.instrument, result.analyst) == (
        "LAL (Ph. Eur. 2.6.14)", "Endosafe nexgen-PTS", "Rosa Vidal")
    assert result.tested_at == at and result.entered_by_id == analyst.id
    assert builders.qc_result(batch, "sterility", " No  Growth ").verdict == "pass"
    assert _line(batch, "mycoplasma").verdict == "pending"


@pytest.mark.parametrize(("code", "value", "fields", "message"), [
    ("viability", "high", {}, "Enter a number"),
    ("viability", "", {}, "Enter the result"),
    ("viability", "NaN", {}, "Enter a number"),
    ("nonsense", "1", {}, "not in the batch's specification"),
    ("viability", "90", {"tested_at": utcnow() + timedelta(days=1)}, "future"),
    ("viability", "90", {"tested_at": utcnow() - timedelta(days=90)}, "before the batch"),
    ("viability", "90", {"analyst": " "}, "required"),
])
def test_bad_results_are_refused_with_a_reason(app, code, value, fields, message):
    batch = builders.harvested_batch()
    technician = builders.user("technician")
    data = ResultData(**{"test_code": code, "value": value, "method": "count",
                         "analyst": "Rosa", "tested_at": utcnow(), **fields})
    with pytest.raises(ServiceError, match=message):
        quality.record_result(technician, batch, data)


def test_only_lab_and_qa_staff_enter_results_once_per_test(app):
    batch = builders.harvested_batch()
    with pytest.raises(ServiceError, match="lab or QA staff"):
        builders.qc_result(batch, "viability", "90", builders.user("clinician"))
    db.session.rollback()
    builders.qc_result(batch, "viability", "90", builders.user("qa"))
    with pytest.raises(ServiceError, match="amend it instead"):
        builders.qc_result(batch, "viability", "91")


def test_an_amendment_supersedes_keeps_the_original_and_needs_a_reason(app):
    batch = builders.harvested_batch()
    technician = builders.user("technician")
    original = builders.qc_result(batch, "cd105", "9.8", technician)
    data = ResultData("cd105", "98", original.method, original.analyst, original.tested_at)
    with pytest.raises(ServiceError, match="reason"):
        quality.amend_result(technician, original, data, " ")
    db.session.rollback()
    fixed = quality.amend_result(technician, original, data, "Decimal point misplaced")
    assert fixed.supersedes_id == original.id and fixed.verdict == "pass"
    assert quality.current_results(batch) == [fixed]
    assert db.session.get(type(original), original.id).numeric_value == Decimal("9.8")
    line = _line(batch, "cd105")
    assert line.amended and line.result.amendment_reason == "Decimal point misplaced"
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "qc_result", AuditEvent.record_id == str(fixed.id))).one()
    assert event.reason == "Decimal point misplaced"
    with pytest.raises(ServiceError, match="already corrected"):
        quality.amend_result(technician, original, data, "again")


def test_results_on_a_rejected_or_terminated_batch_are_refused(app):
    batch = builders.harvested_batch()
    qa = builders.user("qa")
    batches.change_state(qa, batch, "terminated", "Contamination")
    db.session.commit()
    with pytest.raises(ServiceError, match="locked"):
        builders.qc_result(batch, "viability", "90")


def test_version_one_is_created_from_the_default_on_first_use(app):
    spec = versions.current_specification()
    assert spec.version == 1 and len(spec.tests) == len(DEFAULT_SPECIFICATION)
    sterility = next(t for t in spec.tests if t.code == "sterility")
    assert sterility.may_be_pending and sterility.mandatory
