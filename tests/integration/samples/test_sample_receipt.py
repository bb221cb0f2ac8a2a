"""Orders, sample receipt, acceptance rules and the start of a batch."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from labtrack.audit import capture as audit
from labtrack.culture.models import Batch
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.identity.models import ChainOfIdentityEvent, Sample
from labtrack.identity.rules import isbt128
from labtrack.qms.models import Deviation
from labtrack.samples.receipt import IdentityMismatch
from tests import builders
from tests.helpers import lab_today


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_accepting_a_sample_starts_a_batch_in_culture(app):
    order = builders.order()
    outcome = builders.receive(order)
    assert outcome.failed_rules == []
    batch = outcome.batch
    assert batch.state == "in_culture" and batch.order_id == order.id
    assert batch.sample_id == outcome.sample.id
    assert batch.batch_number.startswith("MSC") and batch.specification_id is not None
    din = isbt128.parse_din(outcome.sample.din)
    assert din.facility_id == app.config["FACILITY_ID"]


def test_generated_dins_and_batch_numbers_are_unique(app):
    first = builders.receive(builders.order())
    second = builders.receive(builders.order())
    assert first.sample.din != second.sample.din
    assert first.batch.batch_number != second.batch.batch_number


def test_a_scanned_din_is_validated_and_unique(app):
    din = isbt128.make_din("A9999", 2026, 123)
    order = builders.order()
    outcome = builders.receive(order, din=din.barcode_data)
    assert outcome.sample.din == din.text
    with pytest.raises(ServiceError, match="unique forever"):
        builders.receive(builders.order(), din=din.keyboard_entry)


def test_a_din_with_a_wrong_check_character_is_refused(app):
    din = isbt128.make_din("A9999", 2026, 124)
    wrong = "0" if din.check_character != "0" else "1"
    with pytest.raises(ServiceError, match="check character"):
        builders.receive(builders.order(), din=din.text + wrong)
    db.session.rollback()
    assert _count(Sample) == 0


@pytest.mark.parametrize(("overrides", "code"), [
    ({"collected_at_hours": 30}, "transit_time"),
    ({"volume_ml": Decimal("10")}, "volume"),
    ({"volume_ml": Decimal("500")}, "volume"),
    ({"temperature_c": Decimal("4")}, "temperature"),
    ({"temperature_c": Decimal("37")}, "temperature"),
    ({"container_intact": False}, "container"),
])
def test_each_acceptance_rule_rejects(app, overrides, code):
    order = builders.order()
    if "collected_at_hours" in overrides:
        hours = overrides.pop("collected_at_hours")
        overrides["collected_at"] = utcnow() - timedelta(hours=hours)
    outcome = builders.receive(order, **overrides)
    assert outcome.batch is None
    assert [rule.code for rule in outcome.failed_rules] == [code]
    assert outcome.sample.status == "rejected"
    assert code in outcome.sample.failed_rules
    assert _count(Batch) == 0


def test_accepting_despite_a_failed_rule_opens_a_deviation(app):
    order = builders.order()
    with pytest.raises(ServiceError, match="Describe the deviation"):
        builders.receive(order, temperature_c=Decimal("30"), accept_despite_failures=True)
    db.session.rollback()
    outcome = builders.receive(order, temperature_c=Decimal("30"), accept_despite_failures=True,
                               deviation_description="Courier delayed in summer heat")
    assert outcome.batch is not None
    assert outcome.sample.status == "accepted_with_deviation"
    deviation = db.session.scalars(select(Deviation)).one()
    assert deviation.batch_id == outcome.batch.id and deviation.severity == "major"
    assert deviation.status == "open" and deviation.kind == "sample_acceptance"


def test_a_new_sample_can_follow_a_rejected_one(app):
    order = builders.order()
    assert builders.receive(order, container_intact=False).batch is None
    assert builders.receive(order).batch is not None


def test_a_second_batch_for_the_same_order_is_refused(app):
    order = builders.order()
    builders.receive(order)
    with pytest.raises(ServiceError, match="already has a batch"):
        builders.receive(order)


def test_a_tube_for_another_patient_is_refused_and_recorded(app):
    order = builders.order()
    other = builders.patient()
    with pytest.raises(IdentityMismatch, match="do not match the order"):
        builders.receive(order, tube_record_number=other.record_number,
                         tube_patient_name=other.display_name)
    assert _count(Sample) == 0
    event = db.session.scalars(select(ChainOfIdentityEvent)).one()
    assert event.kind == "sample_tube_mismatch" and event.order_id == order.id
    assert other.record_number in event.presented


@pytest.mark.parametrize("auth", [
    {"authorised": False},
    {"authorisation_levels": ("L4-L5",)},
    {"authorisation_expires_on": lab_today() - timedelta(days=1)},
])
def test_the_authorisation_check_blocks_a_batch_start(app, auth):
    auth = dict(auth)
    expires_on = auth.pop("authorisation_expires_on", None)
    order = builders.order(**auth)
    if expires_on:  # it lapsed after the order was made (an order must plan within it)
        with audit.reason(db.session, "The authorisation lapsed"):
            order.authorisation_expires_on = expires_on
            db.session.commit()
    with pytest.raises(ServiceError, match="No batch can start"):
        builders.receive(order)
    db.session.rollback()
    assert _count(Batch) == 0


def test_a_tube_naming_the_patient_without_accents_or_in_capitals_is_accepted(app):
    order = builders.order(patient_=builders.patient(family_name="LÓPEZ GARCÍA",
                                                     given_name="Carmen"))
    outcome = builders.receive(order, tube_patient_name="LOPEZ GARCIA, CARMEN")
    assert outcome.batch is not None
    assert db.session.scalars(select(ChainOfIdentityEvent)).all() == []


def test_a_tube_whose_name_differs_is_refused_under_the_name_field(app):
    order = builders.order(patient_=builders.patient(family_name="LÓPEZ GARCÍA"))
    with pytest.raises(IdentityMismatch) as refused:
        builders.receive(order, tube_patient_name="GARCÍA LÓPEZ, Carmen")
    assert refused.value.field == "tube_patient_name"
    with pytest.raises(IdentityMismatch) as refused:
        builders.receive(order, tube_record_number="HC999999")
    assert refused.value.field == "tube_record_number"
    assert _count(Sample) == 0
