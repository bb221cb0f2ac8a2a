"""QA release: each checklist item blocks in turn, four-eyes, pending results, exceptional
release, rejection, the lock, and the concurrent-release race (PostgreSQL)."""

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from labtrack.accounts import signatures
from labtrack.accounts.models import Notice, Signature, User
from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.signatures import SignatureRefused
from labtrack.accounts.users import AccountPolicy
from labtrack.audit import capture as audit
from labtrack.audit import trail as audit_trail
from labtrack.audit.capture import Actor, set_actor
from labtrack.audit.models import AuditEvent
from labtrack.culture import batches
from labtrack.culture.models import Batch
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.qms import deviations
from labtrack.qms.models import Deviation
from labtrack.quality import qc as quality
from labtrack.quality import release
from labtrack.quality.models import Release
from labtrack.quality.qc import ResultData
from labtrack.quality.release import DecisionConflict, ExceptionalRequest
from labtrack.web.templating import lab_zone
from tests import builders
from tests.conftest import build_app
from tests.helpers import lab_today, run_together, statements_run

EXCEPTIONAL = ExceptionalRequest(
    "Dr. Ortega, letter of 2026-03-02: no alternative before the planned procedure.",
    "Viability 60 % is below 70 %; the dose is still within cells per disc. Acceptable.")


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _blocking_codes(batch, qa):
    return {item.code for item in release.review(batch, qa, lab_zone()).blocking}


def test_a_compliant_batch_is_released_signed_recorded_and_locked(app):
    batch = builders.releasable_batch()
    qa = builders.user("qa", full_name="Carmen Navarro")
    review = release.review(batch, qa, lab_zone())
    assert review.can_release and all(item.ok for item in review.items)

    decision = builders.release(batch, qa)

    assert batch.state == "released" and decision.decision == "released"
    assert not decision.exceptional
    assert decision.signature.meaning == Meaning.RELEASED
    assert decision.signature.printed_name == "Carmen Navarro"
    assert decision.document_id == f"BRR-{batch.batch_number}"
    assert decision.record_pdf.startswith(b"%PDF")
    assert decision.record_sha256 == hashlib.sha256(decision.record_pdf).hexdigest()
    assert '"code": "four_eyes.ok"' in decision.checklist
    first_release_event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.record_type == "batch_release")).one()
    assert first_release_event.prev_hash  # the chain went on from the recorded head
    events_before = db.session.scalars(select(AuditEvent).where(
        AuditEvent.hash == decision.audit_head_hash)).all()
    assert len(events_before) == 1 and events_before[0].seq < first_release_event.seq
    notice = db.session.scalars(select(Notice).where(Notice.kind == "batch_released")).one()
    assert notice.user_id == batch.order.treating_clinician_id
    assert batch.batch_number in notice.message


def test_after_release_the_batch_record_is_locked(app):
    batch = builders.releasable_batch()
    builders.release(batch)
    with pytest.raises(batches.BatchLocked):
        builders.count(batch, 1_000_000)
    db.session.rollback()
    original = quality.current_results(batch)[0]
    with pytest.raises(batches.BatchLocked):
        quality.amend_result(builders.user("technician"), original, ResultData(
            original.test_code, "90", original.method, "A", original.tested_at), "typo")
    db.session.rollback()
    with pytest.raises(ServiceError):
        batches.change_state(builders.user("qa"), batch, "on_hold", "Look again")


def _put_on_hold(batch, qa):
    batches.change_state(qa, batch, "on_hold", "Query on the harvest")
    db.session.commit()


def _open_major(batch, qa):
    deviations.report_deviation(qa, batch, "process", "major", "Incubator alarm",
                                "CO2 alarm overnight")


def _expire_authorisation(batch, qa):
    with audit.reason(db.session, "Authorisation lapsed"):
        batch.order.authorisation_expires_on = lab_today() - timedelta(days=1)
        db.session.commit()


def _qa_verified_a_step(batch, qa):
    builders.verify_critical_steps(batch, qa)


@pytest.mark.parametrize(("build", "change", "code"), [
    ({}, _put_on_hold, "state.not_awaiting_release"),
    ({"skip": ("mycoplasma",)}, None, "qc.missing"),
    ({"viability": "60"}, None, "qc.out_of_specification"),
    ({}, _open_major, "deviations.open"),
    ({"cells_per_dose": 14_000_000}, None, "dose_cells.below_range"),
    ({}, _expire_authorisation, "authorisation.expired"),
    ({"verified": False}, _qa_verified_a_step, "four_eyes.releaser_took_part"),
], ids=["state", "missing-result", "out-of-spec", "open-deviation", "dose-cells",
        "authorisation", "four-eyes"])
def test_each_checklist_item_blocks_release_in_turn(app, build, change, code):
    batch = builders.releasable_batch(**build)
    qa = builders.user("qa")
    if change:
        change(batch, qa)
    assert _blocking_codes(batch, qa) == {code}
    with pytest.raises(ServiceError, match="cannot be released"):
        builders.release(batch, qa)
    db.session.rollback()
    assert _count(Release) == 0
    assert _count(Signature, Signature.meaning == "released") == 0
    assert db.session.get(Batch, batch.id).state != "released"


def test_an_expired_dose_blocks_release(app):
    app.config["DOSE_SHELF_LIFE_HOURS"] = 0
    batch = builders.releasable_batch()
    qa = builders.user("qa")
    assert _blocking_codes(batch, qa) == {"dose_expiry.expired"}
    message = release.review(batch, qa, lab_zone()).message(
        release.review(batch, qa, lab_zone()).blocking[0])
    assert "expired at" in message and ("CET" in message or "CEST" in message)


def test_a_qa_user_who_entered_qc_results_may_not_release(app):
    qa = builders.user("qa")
    batch = builders.releasable_batch(skip=("appearance",))
    builders.qc_result(batch, "appearance", "conforms", analyst_user=qa)
    assert _blocking_codes(batch, qa) == {"four_eyes.releaser_took_part"}
    assert _blocking_codes(batch, builders.user("qa")) == set()


def test_closing_the_deviation_unblocks_release(app):
    batch = builders.releasable_batch()
    qa = builders.user("qa")
    _open_major(batch, qa)
    deviation = db.session.scalars(select(Deviation)).one()
    deviations.investigate(qa, deviation, deviations.Investigation(
        "Alarm sensor fault", "None: CO2 log within range", "Sensor replaced",
        "Monthly sensor check"))
    deviations.close(qa, deviation, builders.sign_as(qa, Meaning.CLOSED))
    assert _blocking_codes(batch, qa) == set()


def test_a_result_allowed_to_be_pending_does_not_block_and_a_late_failure_alerts(app):
    batch = builders.releasable_batch(skip=("sterility",))
    qa = builders.user("qa")
    review = release.review(batch, qa, lab_zone())
    assert review.can_release
    assert [item.params["test"] for item in review.pending] == ["sterility"]
    decision = builders.release(batch, qa)
    assert '"qc.pending"' in decision.checklist
    released_notice = db.session.scalars(select(Notice)
                                         .where(Notice.kind == "batch_released")).one()
    assert "Sterility" in released_notice.message and released_notice.severity == "warning"

    with pytest.raises(batches.BatchLocked, match="pending"):
        builders.qc_result(batch, "endotoxin", "0.2")
    db.session.rollback()
    result = builders.qc_result(batch, "sterility", "growth detected (S. epidermidis)")

    assert result.after_release and result.verdict == "fail"
    oos = db.session.scalars(select(Deviation)).one()
    assert (oos.kind, oos.severity, oos.status) == ("out_of_specification", "critical", "open")
    assert oos.batch_id == batch.id and "Sterility" in oos.title
    alert = db.session.scalars(select(Notice).where(
        Notice.kind == "out_of_specification_after_release")).one()
    assert alert.user_id == batch.order.treating_clinician_id
    assert alert.severity == "critical" and oos.number in alert.message
    assert db.session.get(Batch, batch.id).state == "released"
    with pytest.raises(ServiceError, match="already has a result"):
        builders.qc_result(batch, "sterility", "no growth")


def test_a_late_passing_result_raises_nothing(app):
    batch = builders.releasable_batch(skip=("sterility",))
    builders.release(batch)
    result = builders.qc_result(batch, "sterility", "no growth")
    assert result.verdict == "pass" and result.after_release
    assert _count(Deviation) == 0
    assert release.pending_after_release() == []


def test_an_out_of_specification_batch_only_by_exceptional_release(app):
    batch = builders.releasable_batch(viability="60")
    qa = builders.user("qa")
    review = release.review(batch, qa, lab_zone())
    assert not review.can_release and review.can_release_exceptionally
    with pytest.raises(ServiceError, match="out of specification"):
        builders.release(batch, qa)
    db.session.rollback()
    with pytest.raises(ServiceError, match="clinician"):
        builders.release(batch, qa, ExceptionalRequest("  ", EXCEPTIONAL.risk_assessment))
    db.session.rollback()

    decision = builders.release(batch, qa, EXCEPTIONAL)

    assert decision.exceptional and decision.decision == "released"
    assert decision.clinician_request == EXCEPTIONAL.clinician_request
    assert decision.risk_assessment == EXCEPTIONAL.risk_assessment
    notice = db.session.scalars(select(Notice).where(Notice.kind == "batch_released")).one()
    assert "exceptional" in notice.message


def test_an_exceptional_release_cannot_cover_a_missing_result_or_a_compliant_batch(app):
    qa = builders.user("qa")
    compliant = builders.releasable_batch()
    with pytest.raises(ServiceError, match="ordinary release"):
        builders.release(compliant, qa, EXCEPTIONAL)
    db.session.rollback()
    incomplete = builders.releasable_batch(viability="60", skip=("mycoplasma",))
    with pytest.raises(ServiceError, match="cannot cover: Mycoplasma has no result"):
        builders.release(incomplete, qa, EXCEPTIONAL)


def test_rejection_needs_a_reason_and_a_signature_and_tells_the_clinician(app):
    batch = builders.releasable_batch(viability="40")
    qa = builders.user("qa")
    settings = builders.release_settings()
    sign = builders.sign_as(qa, Meaning.REJECTED)
    with pytest.raises(ServiceError, match="reason"):
        release.reject(qa, batch, sign, settings, " ", batch.version)
    db.session.rollback()
    with pytest.raises(ServiceError, match="own signature"):
        release.reject(qa, batch, builders.sign_as(qa, Meaning.RELEASED), settings,
                       "Viability far below limit", batch.version)
    db.session.rollback()

    decision = release.reject(qa, batch, sign, settings, "Viability far below limit",
                              batch.version)

    assert batch.state == "rejected" and decision.decision == "rejected"
    assert decision.reason == "Viability far below limit" and decision.record_pdf
    assert decision.signature.meaning == "rejected"
    notice = db.session.scalars(select(Notice).where(Notice.kind == "batch_rejected")).one()
    assert "Viability far below limit" in notice.message
    with pytest.raises(batches.BatchLocked):
        builders.qc_result(batch, "viability", "80")


def test_only_qa_decides_and_a_wrong_password_signs_nothing(app):
    batch = builders.releasable_batch()
    technician = builders.user("technician")
    with pytest.raises(ServiceError, match="Only QA"):
        builders.release(batch, technician)
    db.session.rollback()
    qa = builders.user("qa")
    def wrong(record_type, record_id, content):
        return (signatures.sign(
            qa, "wrong password", Meaning.RELEASED, record_type, record_id, content,
            AccountPolicy.from_config(app.config), Actor(qa.id, qa.username)))
    with pytest.raises(SignatureRefused):
        release.release(qa, batch, wrong, builders.release_settings(), batch.version)
    assert _count(Release) == 0 and db.session.get(Batch, batch.id).state == "awaiting_release"


def test_a_second_decision_or_a_stale_review_gets_a_clear_refusal(app):
    batch = builders.releasable_batch()
    seen_version = batch.version
    builders.release(batch, builders.user("qa", full_name="Carmen Navarro"))
    with pytest.raises(DecisionConflict, match="already released by Carmen Navarro"):
        builders.release(batch, builders.user("qa"))
    db.session.rollback()
    other = builders.releasable_batch()
    with pytest.raises(DecisionConflict, match="changed while you were reviewing"):
        qa = builders.user("qa")
        release.release(qa, other, builders.sign_as(qa, Meaning.RELEASED),
                        builders.release_settings(), other.version - 1)
    assert seen_version < db.session.get(Batch, batch.id).version


def test_two_qa_users_releasing_at_the_same_moment_release_once(app, database_url):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the race needs PostgreSQL's row locks")
    batch = builders.releasable_batch()
    reviewers = [builders.user("qa") for _ in range(2)]
    number, version, batch_id = batch.batch_number, batch.version, batch.id
    user_ids = [user.id for user in reviewers]
    db.session.remove()
    outcomes = []

    def decide(index: int, start) -> None:
        user = db.session.get(User, user_ids[index])
        set_actor(db.session, Actor(user.id, user.username))
        target = batches.find_batch(number)
        start.wait()
        try:
            release.release(user, target, builders.sign_as(user, Meaning.RELEASED),
                            builders.release_settings(), version)
            outcomes.append("released")
        except DecisionConflict as error:
            outcomes.append(error.message)

    outcomes += run_together([build_app(database_url) for _ in user_ids], decide)

    assert sorted(outcomes)[-1] == "released" and outcomes.count("released") == 1, outcomes
    loser = next(outcome for outcome in outcomes if outcome != "released")
    assert number in loser and ("same moment" in loser or "already released" in loser)
    assert _count(Release) == 1
    assert _count(Signature, Signature.meaning == "released") == 1
    assert _count(Notice, Notice.kind == "batch_released") == 1
    assert db.session.get(Batch, batch_id).state == "released"
    assert audit_trail.verify().ok


def test_the_database_itself_refuses_a_second_decision_row(app):
    batch = builders.releasable_batch()
    first = builders.release(batch)
    with audit.reason(db.session, "Forged second decision"):
        db.session.add(Release(batch_id=batch.id, decision="rejected", decided_at=first.decided_at,
                               signature_id=first.signature_id, checklist="[]"))
        with pytest.raises(IntegrityError):
            db.session.flush()
    db.session.rollback()
    assert _count(Release) == 1


def _queries_for_review(batch, qa) -> int:
    db.session.expire_all()
    batch = db.session.get(Batch, batch.id)
    with statements_run() as statements:
        release.review(batch, qa, lab_zone())
    return len(statements)


def test_the_review_reads_a_fixed_number_of_queries_however_many_rows(app):
    qa = builders.user("qa")
    small = builders.releasable_batch(builders.order(levels=("L5-S1",)), skip=(
        "cd34", "cd14", "cd19", "hla_dr", "cd45", "endotoxin"))
    large = builders.releasable_batch(builders.order(levels=("L2-L3", "L3-L4", "L4-L5",
                                                             "L5-S1")), viable=90_000_000,
                                     surface_cm2=Decimal("1272"))  # two 2-layer cell stacks
    for deviation in range(3):
        deviations.report_deviation(qa, large, "process", "minor", f"Minor {deviation}", "x")
    assert _queries_for_review(small, qa) == _queries_for_review(large, qa)
