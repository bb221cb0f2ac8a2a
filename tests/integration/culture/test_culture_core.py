"""Culture steps and cell counts: the core rules."""

from datetime import timedelta
from decimal import Decimal

import pytest

from labtrack.accounts import signatures
from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.users import AccountPolicy
from labtrack.audit.capture import Actor
from labtrack.culture import batches, counts
from labtrack.culture import steps as culture
from labtrack.culture.counts import CountData
from labtrack.culture.steps import StepData
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.web.templating import lab_zone
from tests import builders
from tests.helpers import PASSWORD


def test_seeding_sets_day_zero_and_passages_are_numbered(app):
    batch = builders.seeded_batch(seeded_days_ago=7)
    assert batch.seeded_at is not None
    passage = builders.step(batch, "passage", flasks=8, cells=10_000_000, split_ratio="1:2",
                            performed_at=utcnow() - timedelta(days=1))
    assert passage.passage_number == 1
    change = builders.step(batch, "medium_change")
    assert change.passage_number == 1


def test_a_step_before_seeding_or_in_the_future_is_refused(app):
    batch = builders.batch()
    with pytest.raises(ServiceError, match="seeding"):
        builders.step(batch, "medium_change")
    db.session.rollback()
    with pytest.raises(ServiceError, match="future"):
        builders.step(batch, "isolation", cells=1, performed_at=utcnow() + timedelta(hours=2))


@pytest.mark.parametrize(("fields", "message"), [
    ({"viable_cells": -1, "dead_cells": 0}, "negative"),
    ({"viable_cells": 10, "total_cells": 5}, "exceed the total"),
    ({"viable_cells": 10, "dead_cells": 0, "viability_percent": Decimal("150")}, "between 0"),
    ({"viable_cells": 10, "dead_cells": 10, "viability_percent": Decimal("90")}, "does not match"),
])
def test_impossible_counts_are_refused(app, fields, message):
    batch = builders.seeded_batch()
    technician = builders.user("technician")
    with pytest.raises(ServiceError, match=message):
        counts.log_count(technician, batch, CountData(counted_at=utcnow(), method="automated",
                                                      **fields))


def test_count_times_must_be_after_seeding_and_not_in_the_future(app):
    batch = builders.seeded_batch(seeded_days_ago=3)
    with pytest.raises(ServiceError, match="future"):
        builders.count(batch, 1_000_000, counted_at=utcnow() + timedelta(hours=1))
    db.session.rollback()
    with pytest.raises(ServiceError, match="before the culture was seeded"):
        builders.count(batch, 1_000_000, counted_at=utcnow() - timedelta(days=10))


def test_chamber_counts_give_totals(app):
    batch = builders.seeded_batch()
    result = counts.log_count(builders.user("technician"), batch, CountData(
        counted_at=utcnow(), method="haemocytometer", live_counted=Decimal("50"),
        dead_counted=Decimal("5"), dilution=Decimal("2"), volume_ml=Decimal("10")))
    # 50 per square × 10⁴ per mL × dilution 2 × 10 mL = 10 million viable
    assert result.viable_cells == 10_000_000 and result.dead_cells == 1_000_000
    assert result.viability_percent == Decimal("90.91")


def test_an_amendment_supersedes_and_keeps_the_original(app):
    batch = builders.seeded_batch()
    technician = builders.user("technician")
    original = builders.count(batch, 5_000_000, technician=technician)
    with pytest.raises(ServiceError, match="reason"):
        counts.amend_count(technician, original, CountData(
            counted_at=original.counted_at, method="automated", viable_cells=500_000,
            dead_cells=0), "")
    fixed = counts.amend_count(technician, original, CountData(
        counted_at=original.counted_at, method="automated", viable_cells=500_000,
        dead_cells=25_000), "Typo: one zero too many")
    db.session.commit()
    assert counts.current_counts(batch) == [fixed]
    assert fixed.supersedes_id == original.id
    assert db.session.get(type(original), original.id).viable_cells == 5_000_000
    with pytest.raises(ServiceError, match="already corrected"):
        counts.amend_count(technician, original, CountData(
            counted_at=original.counted_at, method="automated", viable_cells=1,
            dead_cells=0), "again")


def test_the_counts_in_force_read_off_the_history_are_the_current_counts(app):
    batch = builders.seeded_batch()
    technician = builders.user("technician")
    kept = builders.count(batch, 2_000_000, counted_at=utcnow() - timedelta(days=3))
    mistyped = builders.count(batch, 4_000_000, counted_at=utcnow() - timedelta(days=2))
    later = builders.count(batch, 5_000_000, counted_at=utcnow() - timedelta(days=1))
    withdrawn = builders.count(batch, 5_500_000, counted_at=utcnow() - timedelta(hours=20))
    fixed = counts.amend_count(technician, mistyped, CountData(  # now the latest count
        counted_at=utcnow() - timedelta(hours=1), method="automated", viable_cells=6_000_000,
        dead_cells=0), "Wrong time and count typed")
    counts.void_count(technician, withdrawn, "Counted the wrong flask")
    db.session.commit()
    assert counts.in_force(counts.count_history(batch)) == [kept, later, fixed]
    assert counts.current_counts(batch) == [kept, later, fixed]


def test_verification_needs_a_second_person_with_a_signature(app):
    performer = builders.user("technician")
    batch = builders.seeded_batch(technician=performer)
    step = builders.step(batch, "medium_change", technician=performer)
    policy = AccountPolicy.from_config(app.config)

    def sign(user):
        return lambda record_type, record_id, content: signatures.sign(
            user, PASSWORD, Meaning.VERIFIED, record_type, record_id, content, policy,
            Actor(user.id, user.username))

    with pytest.raises(ServiceError, match="cannot verify it"):
        culture.verify_step(performer, step, sign(performer))
    db.session.rollback()
    checker = builders.user("technician")
    culture.verify_step(checker, step, sign(checker))
    db.session.commit()
    assert step.verified_by_id == checker.id
    assert culture.batch_staff_ids(batch) >= {performer.id, checker.id}


def test_steps_only_while_in_culture(app):
    batch = builders.seeded_batch()
    qa = builders.user("qa")
    batches.change_state(qa, batch, "terminated", "Contamination seen")
    db.session.commit()
    with pytest.raises(ServiceError, match="locked"):
        culture.record_step(builders.user("technician"), batch,
                            StepData(kind="medium_change", performed_at=utcnow()), lab_zone())
