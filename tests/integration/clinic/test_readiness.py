"""Dose readiness from real data: every status, the at-risk flag and notice, the home page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from flask import current_app
from sqlalchemy import event, select

from labtrack.accounts.models import Notice
from labtrack.clinic import administration, at_risk, readiness
from labtrack.clinic.readiness import ReadinessFilter, ReadinessSettings
from labtrack.clinic.rules.readiness import Alert, Status
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders
from tests.helpers import lab_today, login


def settings() -> ReadinessSettings:
    return ReadinessSettings.from_config(current_app.config)


def status_of(order, now=None) -> Status:
    return readiness.order_readiness(order, settings(), now).readiness.status


def growing_batch(order, days_ago=(4, 1), cells=(3_000_000, 12_000_000)):
    """A seeded batch with counts that double about every 1.5 days."""
    technician = builders.user("technician")
    batch = builders.seeded_batch(order, technician, seeded_days_ago=7)
    for ago, viable in zip(days_ago, cells, strict=True):
        builders.count(batch, viable, counted_at=utcnow() - timedelta(days=ago),
                       technician=technician)
    return batch


def released_batch(order):
    batch = builders.releasable_batch(order)
    builders.release(batch)
    return batch


def administer_all(batch, clinician):
    for dose in administration.patient_doses(batch.order.patient):
        administration.record_administration(clinician, batch.order.patient.record_number,
                                             dose.dose.dose_code, dose.dose.disc_level)


def test_a_new_order_is_awaiting_sample(app):
    assert status_of(builders.order()) is Status.AWAITING_SAMPLE


def test_a_rejected_sample_shows_sample_rejected(app):
    order = builders.order()
    outcome = builders.receive(order, volume_ml=Decimal("5.0"))
    assert outcome.batch is None
    result = readiness.order_readiness(order, settings()).readiness
    assert result.status is Status.SAMPLE_REJECTED
    assert result.alerts == (Alert.SAMPLE_REJECTED,)


def test_a_growing_culture_is_in_culture_with_its_day_and_projection(app):
    order = builders.order()
    growing_batch(order)
    row = readiness.order_readiness(order, settings())
    assert row.readiness.status is Status.IN_CULTURE
    assert row.readiness.culture_day == 7
    assert row.readiness.cells_now == 12_000_000
    assert [level.cells for level in row.readiness.levels] == [6_000_000, 6_000_000]
    assert row.readiness.ready.projected <= order.planned_procedure_date
    assert not row.readiness.at_risk


def test_a_culture_too_slow_for_the_date_is_at_risk(app):
    order = builders.order(planned_procedure_date=lab_today() + timedelta(days=3))
    growing_batch(order, cells=(3_000_000, 4_000_000))
    result = readiness.order_readiness(order, settings()).readiness
    assert result.status is Status.AT_RISK
    assert Alert.AT_RISK in result.alerts
    assert result.ready.projected > order.planned_procedure_date


def test_harvested_and_formulated_batches_await_release(app):
    harvested, formulated = builders.order(), builders.order()
    builders.harvested_batch(harvested)
    builders.formulated_batch(formulated)
    assert status_of(harvested) is Status.AWAITING_RELEASE
    result = readiness.order_readiness(formulated, settings()).readiness
    assert result.status is Status.AWAITING_RELEASE
    assert [level.cells for level in result.levels] == [20_000_000, 20_000_000]


def test_released_doses_are_released_and_ready_with_time_left(app):
    order = builders.order()
    released_batch(order)
    result = readiness.order_readiness(order, settings()).readiness
    assert result.status is Status.RELEASED
    assert [dose.disc_level for dose in result.doses] == ["L4-L5", "L5-S1"]
    assert all(timedelta(hours=23) < dose.time_left < timedelta(hours=24)
               for dose in result.doses)


def test_released_doses_past_their_expiry_are_expired(app):
    order = builders.order()
    released_batch(order)
    assert status_of(order, utcnow() + timedelta(hours=25)) is Status.EXPIRED


def test_every_dose_administered_is_administered(app):
    clinician = builders.user("clinician")
    order = builders.order(clinician)
    batch = released_batch(order)
    administer_all(batch, clinician)
    assert batch.state == "completed"
    assert status_of(order) is Status.ADMINISTERED


def test_a_batch_rejected_by_qa_needs_a_new_sample(app):
    from labtrack.accounts.rules.signatures import Meaning
    from labtrack.quality import release

    order = builders.order()
    batch = builders.releasable_batch(order)
    qa = builders.user("qa")
    release.reject(qa, batch, builders.sign_as(qa, Meaning.REJECTED),
                   builders.release_settings(), "Sterility concern", batch.version)
    result = readiness.order_readiness(order, settings()).readiness
    assert result.status is Status.AWAITING_SAMPLE
    assert result.alerts == (Alert.BATCH_REJECTED,)


def test_pending_results_after_release_and_a_late_failure_are_reported(app):
    order = builders.order()
    batch = builders.releasable_batch(order, skip=("sterility",))
    builders.release(batch)
    result = readiness.order_readiness(order, settings()).readiness
    assert result.status is Status.RELEASED
    assert result.pending_tests == ("Sterility",)
    builders.qc_result(batch, "sterility", "growth")
    result = readiness.order_readiness(order, settings()).readiness
    assert result.pending_tests == ()
    assert result.failed_after_release == ("Sterility",)
    assert Alert.OUT_OF_SPECIFICATION in result.alerts


def test_the_list_filters_by_clinician_and_status_and_sorts_by_date(app):
    mine, other = builders.user("clinician"), builders.user("clinician")
    later = builders.order(mine, planned_procedure_date=lab_today() + timedelta(days=40))
    sooner = builders.order(mine, planned_procedure_date=lab_today() + timedelta(days=20))
    theirs = builders.order(other)
    growing_batch(sooner)
    rows = readiness.readiness_list(ReadinessFilter(clinician_id=mine.id), settings())
    assert [row.order.id for row in rows] == [sooner.id, later.id]
    waiting = readiness.readiness_list(
        ReadinessFilter(statuses=frozenset({Status.AWAITING_SAMPLE})), settings())
    assert {row.order.id for row in waiting} == {later.id, theirs.id}


def test_the_list_takes_a_fixed_number_of_queries(app):
    clinician = builders.user("clinician")
    growing_batch(builders.order(clinician))

    def queries() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            db.session.expire_all()
            readiness.readiness_list(ReadinessFilter(clinician_id=clinician.id), settings())
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    one = queries()
    growing_batch(builders.order(clinician))
    released_batch(builders.order(clinician))
    builders.order(clinician)
    assert queries() == one


def test_a_count_that_puts_a_batch_at_risk_notifies_the_clinician_once(app):
    clinician = builders.user("clinician")
    order = builders.order(clinician, planned_procedure_date=lab_today() + timedelta(days=3))
    batch = growing_batch(order, cells=(3_000_000, 4_000_000))
    notice = at_risk.check_at_risk(batch)
    db.session.commit()
    assert notice.user_id == clinician.id and notice.kind == "at_risk"
    assert batch.batch_number in notice.message and notice.severity == "warning"
    assert at_risk.check_at_risk(batch) is None  # still at risk: no second notice
    builders.count(batch, 60_000_000,  # target reached: back on track
                   plausibility_reason="Recounted after pooling the flasks.")
    back = at_risk.check_at_risk(batch)
    db.session.commit()
    assert back.kind == "back_on_track"
    kinds = db.session.scalars(select(Notice.kind).where(Notice.batch_id == batch.id)).all()
    assert sorted(kinds) == ["at_risk", "back_on_track"]


def test_a_batch_on_track_sends_no_notice(app):
    batch = growing_batch(builders.order())
    assert at_risk.check_at_risk(batch) is None


def test_the_home_page_shows_each_order_with_its_status(app, client, make_user):
    clinician = make_user("clinician")
    at_risk = builders.order(clinician, planned_procedure_date=lab_today() + timedelta(days=3))
    growing_batch(at_risk, cells=(3_000_000, 4_000_000))
    waiting = builders.order(clinician)
    login(client, clinician.username)
    page = client.get("/readiness").get_data(as_text=True)
    assert at_risk.order_number in page and waiting.order_number in page
    assert 'data-status="at_risk"' in page and 'data-status="awaiting_sample"' in page
    assert "<progress" in page and 'data-alert="at_risk"' in page
    only = client.get("/readiness?status=at_risk").get_data(as_text=True)
    assert at_risk.order_number in only and waiting.order_number not in only


@pytest.mark.parametrize("query", ["status=nonsense", "clinician=abc", "page=-3", "page=x"])
def test_bad_filters_fall_back_to_the_defaults(app, signed_in, query):
    client, _ = signed_in("clinician")
    assert client.get(f"/readiness?{query}").status_code == 200


def test_another_clinicians_patients_are_shown_on_request(app, client, make_user):
    clinician, other = make_user("clinician"), make_user("clinician")
    theirs = builders.order(other)
    login(client, clinician.username)
    assert theirs.order_number not in client.get("/readiness").get_data(as_text=True)
    page = client.get("/readiness?clinician=all&status=all").get_data(as_text=True)
    assert theirs.order_number in page
