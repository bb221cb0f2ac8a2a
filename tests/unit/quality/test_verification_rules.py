"""Second-person verification before release: which steps must be verified, and naming them."""

from datetime import datetime, timedelta, timezone

import pytest

from labtrack.culture.rules.states import BatchState
from labtrack.quality.rules.release import (
    blocking_items,
    can_release_exceptionally,
    release_checklist,
)
from labtrack.quality.rules.verification import (
    DEFAULT_CRITICAL_STEPS,
    StepRecord,
    critical_steps,
    unverified,
)
from tests.unit.quality.test_release_rules import NOW, compliant

DAY0 = datetime(2026, 2, 17, 11, 30, tzinfo=timezone(timedelta(hours=1)))


def step(step_id, kind, day, verified=False, passage=0):
    return StepRecord(step_id, kind, DAY0 + timedelta(days=day), verified, passage)


# Every culture step "Not verified", as QA saw it when it could still release.
UNVERIFIED_BATCH = (
    step(1, "isolation", 0), step(2, "seeding", 0), step(3, "observation", 3),
    step(4, "medium_change", 5), step(5, "passage", 10, passage=1),
    step(6, "passage", 15, passage=2), step(7, "harvest", 21, passage=2),
    step(8, "formulation", 21, passage=2),
)


def test_by_default_isolation_seeding_passage_harvest_and_formulation_are_critical():
    default = {"isolation", "seeding", "passage", "harvest", "formulation"}
    assert default == DEFAULT_CRITICAL_STEPS
    assert critical_steps(None) == DEFAULT_CRITICAL_STEPS
    assert critical_steps(" Isolation, seeding ,harvest,") == {"isolation", "seeding",
                                                                "harvest"}


def test_an_unknown_step_kind_in_the_setting_is_refused_not_ignored():
    with pytest.raises(ValueError, match="unknown critical step kind"):
        critical_steps("isolation,seding")


def test_each_unverified_critical_step_is_named_and_blocks_release():
    items = blocking_items(release_checklist(compliant(steps=UNVERIFIED_BATCH)))
    named = [(i.params["step_kind"], i.params["passage"]) for i in items]
    assert named == [("isolation", 0), ("seeding", 0), ("passage", 1), ("passage", 2),
                     ("harvest", 2), ("formulation", 2)]
    assert {i.code for i in items} == {"verification.step_unverified"}
    assert not can_release_exceptionally(items)  # never overridden by an exceptional release


def test_verified_and_non_critical_steps_do_not_block():
    verified = tuple(StepRecord(s.step_id, s.kind, s.performed_at, True, s.passage)
                     for s in UNVERIFIED_BATCH if s.kind != "observation")
    assert unverified(verified, DEFAULT_CRITICAL_STEPS) == []
    assert unverified(UNVERIFIED_BATCH, frozenset({"harvest"})) == [UNVERIFIED_BATCH[6]]


def test_no_critical_steps_configured_means_nothing_to_verify():
    inputs = compliant(steps=UNVERIFIED_BATCH, critical_steps=critical_steps(""),
                       batch_state=BatchState.AWAITING_RELEASE, now=NOW)
    assert not blocking_items(release_checklist(inputs))
