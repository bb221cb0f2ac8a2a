"""The at-risk notice when time alone puts a batch at risk: ``labtrack notify-at-risk`` (cron)
checks every batch in culture as of the app's clock and notifies each once."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from labtrack.accounts.models import Notice
from labtrack.clinic import at_risk
from labtrack.culture import counts
from labtrack.culture.counts import CountData
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders
from tests.helpers import lab_today


def _counted_batch(clinician):
    """Day 12, counted on days 6 and 9 (5 and 14 × 10⁶, doubling in 2 days), target 40 × 10⁶:
    ready in a few days, well before the procedure in 30."""
    order = builders.order(clinician, planned_procedure_date=lab_today() + timedelta(days=30))
    batch = builders.seeded_batch(order, seeded_days_ago=12)
    builders.count(batch, 5_000_000, counted_at=utcnow() - timedelta(days=6))
    builders.count(batch, 14_000_000, counted_at=utcnow() - timedelta(days=3))
    return batch


def _notices(batch) -> list[Notice]:
    return list(db.session.scalars(select(Notice).where(Notice.batch_id == batch.id)
                                   .order_by(Notice.id)))


def _run(runner):
    result = runner.invoke(args=["notify-at-risk"])
    assert result.exit_code == 0, result.output
    return result.output


def test_time_alone_puts_a_batch_at_risk_and_the_command_notifies_once(app, runner):
    clinician = builders.user("clinician")
    batch = _counted_batch(clinician)
    assert _run(runner) == "At-risk check: 0 notice(s) sent.\n"  # on track today
    assert _notices(batch) == []
    with time_machine.travel(utcnow() + timedelta(days=10), tick=True):
        # No new count: the projected ready day has gone by without the target.
        output = _run(runner)
        assert output == f"At-risk check: 1 notice(s) sent: at_risk for {batch.batch_number}.\n"
        (notice,) = _notices(batch)
        assert notice.kind == "at_risk" and notice.user_id == clinician.id
        assert batch.batch_number in notice.message and "were projected to be ready on" in \
            notice.message and "no count since shows the target reached" in notice.message
        assert _run(runner) == "At-risk check: 0 notice(s) sent.\n"  # run again: no duplicate
        assert len(_notices(batch)) == 1


def test_a_batch_that_reached_its_target_gets_no_notice(app, runner):
    clinician = builders.user("clinician")
    batch = _counted_batch(clinician)
    builders.count(batch, 45_000_000, counted_at=utcnow() - timedelta(hours=2),
                   plausibility_reason="Recounted after pooling the flasks.")
    db.session.commit()
    with time_machine.travel(utcnow() + timedelta(days=10), tick=True):
        assert _run(runner) == "At-risk check: 0 notice(s) sent.\n"
    assert _notices(batch) == []


def test_a_batch_already_notified_after_a_count_is_not_notified_again(app):
    clinician = builders.user("clinician")
    order = builders.order(clinician, planned_procedure_date=lab_today() + timedelta(days=3))
    batch = builders.seeded_batch(order, seeded_days_ago=12)
    builders.count(batch, 3_000_000, counted_at=utcnow() - timedelta(days=6))
    counts.record_count(builders.user("technician"), batch, CountData(  # the bench's use case
        counted_at=utcnow() - timedelta(days=3), method="automated", viable_cells=4_000_000,
        dead_cells=200_000))
    assert [n.kind for n in _notices(batch)] == ["at_risk"]  # sent after the count
    later = utcnow() + timedelta(days=5)
    assert at_risk.notify_at_risk(now=later) == []
    assert len(_notices(batch)) == 1


def test_only_batches_in_culture_are_checked(app, runner):
    batch = builders.harvested_batch()
    with time_machine.travel(utcnow() + timedelta(days=30), tick=True):
        assert _run(runner) == "At-risk check: 0 notice(s) sent.\n"
    assert _notices(batch) == []
