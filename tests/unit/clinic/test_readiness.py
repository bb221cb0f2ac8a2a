"""Dose readiness from plain facts: every status, the alerts, progress and the ready date."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from labtrack.clinic.rules.readiness import (
    Alert,
    DoseFacts,
    OrderFacts,
    Status,
    StoredStatus,
    assess,
    stored_status,
)
from labtrack.culture.rules.growth import CountPoint, NoProjection, Projection

TZ = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
LEAD = 2
LEVELS = ("L4-L5", "L5-S1")


def facts(**overrides) -> OrderFacts:
    values = {"planned_procedure_date": date(2026, 5, 25), "disc_levels": LEVELS,
              "cells_per_disc": 20_000_000}
    values.update(overrides)
    return OrderFacts(**values)


def growing(days_to_double: float = 2.0, start: float = 2e6, points: int = 3,
            every_days: float = 2.0) -> tuple[CountPoint, ...]:
    """Counts up to NOW, growing steadily."""
    first = NOW - timedelta(days=every_days * (points - 1))
    return tuple(CountPoint(first + timedelta(days=every_days * i),
                            start * 2 ** (every_days * i / days_to_double), 0)
                 for i in range(points))


def culture(**overrides) -> OrderFacts:
    return facts(**{"batch_state": "in_culture", "sample_status": "accepted",
                    "seeded_at": NOW - timedelta(days=9), **overrides})


def dose(level: str, expires_in: timedelta = timedelta(hours=20), administered=False,
         cells: int = 21_000_000) -> DoseFacts:
    return DoseFacts(f"D-{level}", level, cells, NOW + expires_in,
                     NOW - timedelta(hours=1) if administered else None)


def released(*doses: DoseFacts, **overrides) -> OrderFacts:
    return facts(batch_state="released", sample_status="accepted",
                 released_at=NOW - timedelta(hours=2),
                 doses=doses or (dose("L4-L5"), dose("L5-S1")), **overrides)


def status_of(order_facts: OrderFacts) -> Status:
    return assess(order_facts, NOW, TZ, LEAD).status


def test_no_sample_is_awaiting_sample():
    result = assess(facts(), NOW, TZ, LEAD)
    assert result.status is Status.AWAITING_SAMPLE
    assert result.alerts == () and result.progress is None and result.ready is None
    assert [level.cells for level in result.levels] == [None, None]


def test_a_rejected_sample_is_sample_rejected_with_an_alert():
    result = assess(facts(sample_status="rejected"), NOW, TZ, LEAD)
    assert result.status is Status.SAMPLE_REJECTED
    assert result.alerts == (Alert.SAMPLE_REJECTED,)


def test_a_growing_culture_on_track_is_in_culture_with_its_day():
    result = assess(culture(counts=growing()), NOW, TZ, LEAD)
    assert result.status is Status.IN_CULTURE
    assert result.culture_day == 9
    assert isinstance(result.projection, Projection)
    assert result.ready.projected <= date(2026, 5, 25)
    assert result.ready.earliest <= result.ready.projected <= result.ready.latest
    assert not result.at_risk


def test_a_culture_projected_too_late_is_at_risk():
    slow = culture(counts=growing(days_to_double=6.0),
                   planned_procedure_date=date(2026, 5, 10))
    result = assess(slow, NOW, TZ, LEAD)
    assert result.status is Status.AT_RISK
    assert Alert.AT_RISK in result.alerts and result.at_risk
    assert result.ready.projected > date(2026, 5, 10)


def test_a_culture_that_does_not_grow_is_at_risk():
    flat = tuple(CountPoint(NOW - timedelta(days=d), 2e6, 0) for d in (4, 2, 0))
    assert status_of(culture(counts=flat)) is Status.AT_RISK


def test_too_few_counts_to_judge_are_not_at_risk():
    assert status_of(culture()) is Status.IN_CULTURE
    assert status_of(culture(counts=(CountPoint(NOW, 1e6, 0),))) is Status.IN_CULTURE


def test_a_culture_at_target_is_not_at_risk_and_shows_when_it_was_reached():
    counts = (CountPoint(NOW - timedelta(days=4), 2e6, 0),
              CountPoint(NOW - timedelta(days=2), 10e6, 0), CountPoint(NOW, 45e6, 1))
    result = assess(culture(counts=counts), NOW, TZ, LEAD)
    assert result.status is Status.IN_CULTURE
    assert isinstance(result.projection, NoProjection)
    assert result.target_reached_at is not None
    assert all(level.display_fraction == 1.0 for level in result.levels)


def test_progress_is_shared_between_levels_before_formulation():
    counts = (CountPoint(NOW - timedelta(days=2), 5e6, 0), CountPoint(NOW, 22e6, 0))
    result = assess(culture(counts=counts, qc_reserve_cells=2_000_000), NOW, TZ, LEAD)
    assert result.cells_now == 22e6
    assert [level.cells for level in result.levels] == [10e6, 10e6]
    assert [level.fraction for level in result.levels] == [0.5, 0.5]
    assert [(level.percent, level.bar_percent) for level in result.levels] == [(50, 50)] * 2
    assert result.progress.fraction == pytest.approx(22 / 42)


@pytest.mark.parametrize("state", ["harvested", "awaiting_release"])
def test_harvested_or_formulated_is_awaiting_release(state):
    result = assess(facts(batch_state=state, harvested_cells=44_000_000), NOW, TZ, LEAD)
    assert result.status is Status.AWAITING_RELEASE
    assert result.projection is None and result.culture_day is None
    assert result.cells_now == 44e6


def test_a_hold_keeps_the_status_it_was_held_from_with_an_alert():
    held = culture(batch_state="on_hold", held_from="awaiting_release")
    result = assess(held, NOW, TZ, LEAD)
    assert result.status is Status.AWAITING_RELEASE
    assert Alert.ON_HOLD in result.alerts
    assert status_of(replace(held, held_from="in_culture")) is Status.IN_CULTURE


def test_released_doses_in_date_are_released_and_ready_with_time_left():
    result = assess(released(dose("L4-L5", timedelta(hours=20), cells=22_000_000),
                             dose("L5-S1", timedelta(hours=21))), NOW, TZ, LEAD)
    assert result.status is Status.RELEASED
    assert [d.time_left for d in result.doses] == [timedelta(hours=20), timedelta(hours=21)]
    assert [level.cells for level in result.levels] == [22e6, 21e6]
    assert result.levels[0].fraction == pytest.approx(1.1)
    assert result.levels[0].display_fraction == 1.0
    assert (result.levels[0].percent, result.levels[0].bar_percent) == (110, 100)


def test_released_doses_all_expired_are_expired():
    order = released(dose("L4-L5", -timedelta(minutes=1)), dose("L5-S1", -timedelta(hours=3)))
    result = assess(order, NOW, TZ, LEAD)
    assert result.status is Status.EXPIRED
    assert all(d.expired for d in result.doses)


def test_one_given_and_the_other_expired_is_expired():
    order = released(dose("L4-L5", -timedelta(hours=1), administered=True),
                     dose("L5-S1", -timedelta(hours=1)))
    assert status_of(order) is Status.EXPIRED


def test_one_given_and_the_other_still_in_date_is_released():
    order = released(dose("L4-L5", administered=True), dose("L5-S1"))
    assert status_of(order) is Status.RELEASED


def test_every_dose_given_is_administered():
    order = released(dose("L4-L5", administered=True), dose("L5-S1", administered=True))
    assert status_of(order) is Status.ADMINISTERED
    completed = replace(order, batch_state="completed")
    result = assess(completed, NOW, TZ, LEAD)
    assert result.status is Status.ADMINISTERED and not any(d.expired for d in result.doses)


@pytest.mark.parametrize(("state", "alert"), [("rejected", Alert.BATCH_REJECTED),
                                              ("terminated", Alert.BATCH_TERMINATED)])
def test_a_failed_batch_needs_a_new_sample(state, alert):
    result = assess(facts(batch_state=state, sample_status="accepted"), NOW, TZ, LEAD)
    assert result.status is Status.AWAITING_SAMPLE
    assert result.alerts == (alert,)


def test_pending_results_and_a_failure_after_release_are_shown():
    order = released(pending_tests=("Sterility",), failed_after_release=("Mycoplasma",),
                     exceptional_release=True)
    result = assess(order, NOW, TZ, LEAD)
    assert result.pending_tests == ("Sterility",)
    assert result.failed_after_release == ("Mycoplasma",)
    assert Alert.OUT_OF_SPECIFICATION in result.alerts
    assert Alert.EXCEPTIONAL_RELEASE in result.alerts


def test_pending_results_before_release_are_not_reported():
    order = facts(batch_state="awaiting_release", pending_tests=("Sterility",))
    assert assess(order, NOW, TZ, LEAD).pending_tests == ()


def test_doses_expiring_before_the_planned_day_raise_an_alert():
    order = released(planned_procedure_date=date(2026, 5, 8))
    assert Alert.EXPIRES_BEFORE_PROCEDURE in assess(order, NOW, TZ, LEAD).alerts
    on_the_day = released(planned_procedure_date=date(2026, 5, 4))
    assert Alert.EXPIRES_BEFORE_PROCEDURE not in assess(on_the_day, NOW, TZ, LEAD).alerts


def test_every_status_is_reachable():
    seen = {
        status_of(facts()), status_of(facts(sample_status="rejected")),
        status_of(culture(counts=growing())),
        status_of(culture(counts=growing(days_to_double=6.0),
                          planned_procedure_date=date(2026, 5, 10))),
        status_of(facts(batch_state="awaiting_release")), status_of(released()),
        status_of(released(dose("L4-L5", -timedelta(hours=1)), dose("L5-S1", -timedelta(1)))),
        status_of(facts(batch_state="completed")),
    }
    assert seen == set(Status)


# --- the stored status gives the status at any later moment ------------------------------

ORDERS = [
    facts(), facts(sample_status="rejected"), culture(counts=growing()),
    culture(counts=growing(days_to_double=9.0)), culture(batch_state="on_hold",
                                                         held_from="in_culture"),
    facts(batch_state="awaiting_release", sample_status="accepted"),
    released(), released(dose("L4-L5", timedelta(hours=3)), dose("L5-S1", timedelta(hours=30))),
    released(dose("L4-L5", administered=True), dose("L5-S1", timedelta(hours=5))),
    released(dose("L4-L5", administered=True), dose("L5-S1", administered=True)),
    released(dose("L4-L5", timedelta(hours=-1)), dose("L5-S1", timedelta(hours=-2))),
    facts(batch_state="completed", sample_status="accepted"),
    facts(batch_state="rejected", sample_status="accepted"),
]


@pytest.mark.parametrize("order_facts", ORDERS)
def test_stored_status_gives_the_status_at_every_later_moment(order_facts):
    stored = stored_status(assess(order_facts, NOW, TZ, LEAD), LEAD, TZ)
    for hours in (0, 1, 4, 6, 29, 31, 24 * 40):
        later = NOW + timedelta(hours=hours)
        assert stored.status_at(later) is assess(order_facts, later, TZ, LEAD).status


def test_released_doses_expire_when_the_last_one_still_to_give_does():
    order_facts = released(dose("L4-L5", timedelta(hours=3)), dose("L5-S1", timedelta(hours=30)))
    stored = stored_status(assess(order_facts, NOW, TZ, LEAD), LEAD, TZ)
    assert stored == StoredStatus(Status.RELEASED, NOW + timedelta(hours=30))
    assert stored.status_at(NOW + timedelta(hours=30)) is Status.EXPIRED
