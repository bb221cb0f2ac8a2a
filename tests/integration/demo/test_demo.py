"""Demo data: batches at several stages with realistic growth, built once."""

from itertools import pairwise

from sqlalchemy import func, select

from labtrack.accounts import users as accounts
from labtrack.clinic import adverse_events, followup, outcomes, summaries
from labtrack.clinic.followup import FollowUpSettings
from labtrack.culture import counts
from labtrack.culture import steps as culture
from labtrack.culture import worklist as worklists
from labtrack.culture.models import Batch, CellCount, CultureStep
from labtrack.culture.rules.growth import doubling_time_days, elapsed_days
from labtrack.database import utcnow
from labtrack.demo.followup import TREATED
from labtrack.demo.lab import BENCH_JOURNEY, CULTURES
from labtrack.extensions import db
from labtrack.inventory.models import Equipment, ReagentLot
from labtrack.qms.models import Deviation
from labtrack.web.templating import lab_zone
from tests.helpers import lab_today

MODELS = (Batch, CultureStep, CellCount, ReagentLot, Equipment, Deviation)


def _totals():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in MODELS}


def worklist_at(app, now=None):
    """Today's worklist at ``now`` (default: the clock), from fresh summaries."""
    summaries.ensure_fresh()
    return worklists.today(now or utcnow(), lab_zone(), culture.protocol_from_config(app.config),
                       app.config["RELEASE_LEAD_DAYS"])


def assert_growth_realistic():
    """Every batch grows as bone-marrow MSC do: doubling in 1.4–3.2 days within a passage,
    viability 90–97 %."""
    for batch in db.session.scalars(select(Batch)):
        in_force = counts.current_counts(batch)
        for earlier, later in pairwise(in_force):
            if earlier.passage_number != later.passage_number:
                continue
            days = elapsed_days(earlier.counted_at, later.counted_at)
            doubling = doubling_time_days(earlier.viable_cells, later.viable_cells, days)
            assert 1.4 <= doubling <= 3.2, (batch.batch_number, doubling)
        assert all(90 <= count.viability_percent <= 97 for count in in_force)


def test_seed_demo_builds_batches_at_several_stages_once(runner, app):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    states = dict(db.session.execute(select(Batch.state, func.count()).group_by(Batch.state)).all())
    assert states == {"in_culture": len(CULTURES) - 1, "terminated": 1,
                      "awaiting_release": 2, "released": 1, "completed": len(TREATED)}
    terminated = db.session.scalar(select(Batch).where(Batch.state == "terminated"))
    assert "contamination" in terminated.state_reason.lower()

    worklist = worklist_at(app)
    days = sorted(work.day for work in worklist.page.items)
    assert days == sorted(plan.age for plan in CULTURES if plan.contamination_day is None)
    assert len(worklist.at_risk) == 1
    statuses = {task.status for work in worklist.page.items for task in work.tasks}
    assert statuses == {"due", "overdue"}
    journey = next(work for work in worklist.page.items
                   if work.batch.order.patient.record_number == BENCH_JOURNEY.record_number)
    assert "medium_change" in {task.kind for task in journey.tasks}

    today = lab_today()
    assert db.session.scalar(select(ReagentLot).where(ReagentLot.expiry_date < today,
                                                      ReagentLot.status == "released"))
    assert db.session.scalar(select(ReagentLot).where(ReagentLot.status == "quarantine"))
    assert db.session.scalar(select(Equipment).where(Equipment.calibration_due < today))
    assert db.session.scalar(select(Deviation).where(
        Deviation.kind == culture.WINDOW_DEVIATION_KIND,
        Deviation.title.contains("outside its protocol window")))
    assert db.session.scalar(select(CultureStep).where(CultureStep.verified_by_id.is_not(None)))

    assert_followup(app)

    before = _totals()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert _totals() == before
    assert "already has data" in runner.invoke(args=["seed-demo", "--if-empty"]).output


def assert_followup(app):
    """Past patients followed for a year: improved in 5 of 6, one lost, one visit due."""
    settings = FollowUpSettings.from_config(app.config)
    qa = accounts.find_user("qa")
    report = outcomes.cohort_report(qa, settings, lab_zone(), app.config["SECRET_KEY"])
    assert (report.summary.responders, report.summary.assessed) == (5, 6)
    assert (report.summary.treated, report.summary.lost) == (len(TREATED), 1)
    clinician = accounts.find_user("clinician")
    due = followup.due_visits(clinician.id, settings, lab_zone())
    assert [(d.window.key, d.state.value) for d in due] == [("month_3", "due")]
    assert [event.serious for event in adverse_events.current_events()] in (
        [True, False], [False, True])


def test_demo_growth_is_realistic(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert_growth_realistic()
