"""The release checklist: a compliant batch, then each condition broken in turn."""

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from labtrack.culture.rules.states import BatchState
from labtrack.qms.rules.deviations import Severity
from labtrack.qms.rules.specification import (
    DEFAULT_SPECIFICATION,
    EvaluatedResult,
    evaluate_all,
)
from labtrack.quality.rules.release import (
    AuthorisationInput,
    DoseInput,
    ItemKind,
    OpenDeviation,
    OrderInput,
    ReleaseInputs,
    blocking_items,
    can_release,
    can_release_exceptionally,
    dose_range,
    never_overridable_items,
    out_of_specification_items,
    pending_items,
    release_checklist,
)
from labtrack.quality.rules.verification import StepRecord

MADRID_WINTER = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=MADRID_WINTER)
LEVELS = ("L4-L5", "L5-S1")
TECHNICIAN_ID, VERIFIER_ID, QA_ID = 11, 12, 21
CHECK_GROUPS = ["state", "qc", "verification", "deviations", "dose_levels", "dose_cells",
                "dose_expiry", "authorisation", "four_eyes"]  # fmt: skip

PASSING_RESULTS = {
    "viability": 91.5, "cd73": 99.1, "cd90": 98.7, "cd105": 97.0, "cd45": 0.8, "cd34": 0.3,
    "cd14": 1.1, "cd19": 0.2, "hla_dr": 1.9, "sterility": "No growth",
    "mycoplasma": "Not detected", "endotoxin": 0.12, "appearance": "Conforms",
}  # fmt: skip


def results(**changes) -> tuple[EvaluatedResult, ...]:
    values = {**PASSING_RESULTS, **changes}
    return tuple(evaluate_all(DEFAULT_SPECIFICATION, values))


def dose(dose_id: int, level: str, cells: int = 21_000_000, hours_left: float = 20) -> DoseInput:
    return DoseInput(dose_id, level, cells, NOW + timedelta(hours=hours_left))


def compliant(**changes) -> ReleaseInputs:
    inputs = ReleaseInputs(
        results=results(),
        deviations=(),
        doses=(dose(1, "L4-L5"), dose(2, "L5-S1")),
        order=OrderInput(cells_per_disc=20_000_000, tolerance_percent=20, disc_levels=LEVELS),
        authorisation=AuthorisationInput("AEMPS/TA-2026-014", date(2026, 1, 15), LEVELS),
        batch_state=BatchState.AWAITING_RELEASE,
        batch_staff_ids=frozenset({TECHNICIAN_ID, VERIFIER_ID}),
        releasing_user_id=QA_ID,
        now=NOW,
    )
    return replace(inputs, **changes)


def authorisation(**changes) -> AuthorisationInput:
    return replace(compliant().authorisation, **changes)


def codes(items) -> list[str]:
    return [item.code for item in items]


def test_a_compliant_batch_can_be_released():
    items = release_checklist(compliant())
    assert codes(items) == [f"{group}.ok" for group in CHECK_GROUPS]
    assert all(item.ok and not item.blocking for item in items)
    assert can_release(items)
    assert not can_release_exceptionally(items)


SPEC, REQ = ItemKind.SPECIFICATION, ItemKind.REQUIREMENT
MAJOR = OpenDeviation(7, Severity.MAJOR, "Incubator alarm")
CRITICAL = OpenDeviation(8, "critical", "Flask cracked")


def broken(name: str, code: str, kind: ItemKind, **changes):
    return pytest.param(changes, code, kind, id=name)


FAILURES = [
    broken("wrong state", "state.not_awaiting_release", REQ, batch_state=BatchState.HARVESTED),
    broken("viability out of specification", "qc.out_of_specification", SPEC,
           results=results(viability=65)),
    broken("sterility growth", "qc.out_of_specification", SPEC,
           results=results(sterility="Growth")),
    broken("mycoplasma missing", "qc.missing", REQ, results=results(mycoplasma=None)),
    broken("open major deviation", "deviations.open", REQ, deviations=(MAJOR,)),
    broken("open critical deviation", "deviations.open", REQ, deviations=(CRITICAL,)),
    broken("dose missing for a level", "dose_levels.missing", REQ, doses=(dose(1, "L4-L5"),)),
    broken("two doses for a level", "dose_levels.duplicate", REQ,
           doses=(dose(1, "L4-L5"), dose(2, "L5-S1"), dose(3, "L5-S1"))),
    broken("dose for a level not ordered", "dose_levels.extra", REQ,
           doses=(dose(1, "L4-L5"), dose(2, "L5-S1"), dose(3, "L3-L4"))),
    broken("dose below tolerance", "dose_cells.below_range", SPEC,
           doses=(dose(1, "L4-L5", cells=15_999_999), dose(2, "L5-S1"))),
    broken("dose above tolerance", "dose_cells.above_range", SPEC,
           doses=(dose(1, "L4-L5"), dose(2, "L5-S1", cells=24_000_001))),
    broken("dose expired", "dose_expiry.expired", REQ,
           doses=(dose(1, "L4-L5"), dose(2, "L5-S1", hours_left=-1))),
    broken("dose expiring this minute", "dose_expiry.expired", REQ,
           doses=(dose(1, "L4-L5", hours_left=0), dose(2, "L5-S1"))),
    broken("no authorisation", "authorisation.missing", REQ, authorisation=None),
    broken("authorisation without reference", "authorisation.missing", REQ,
           authorisation=authorisation(reference="  ")),
    broken("authorisation without grant date", "authorisation.missing", REQ,
           authorisation=authorisation(granted_on=None)),
    broken("authorisation not covering a level", "authorisation.level_not_covered", REQ,
           authorisation=authorisation(disc_levels=("L4-L5",))),
    broken("authorisation expired", "authorisation.expired", REQ,
           authorisation=authorisation(expires_on=date(2026, 3, 9))),
    broken("a critical step not verified", "verification.step_unverified", REQ,
           steps=(StepRecord(5, "seeding", NOW - timedelta(days=20), verified=False),)),
    broken("releaser made the batch", "four_eyes.releaser_took_part", REQ,
           releasing_user_id=TECHNICIAN_ID),
    broken("releaser verified a step", "four_eyes.releaser_took_part", REQ,
           releasing_user_id=VERIFIER_ID),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "code", "kind"), FAILURES)
def test_each_broken_condition_yields_exactly_its_blocking_item(changes, code, kind):
    items = release_checklist(compliant(**changes))
    (blocking,) = blocking_items(items)
    assert (blocking.code, blocking.kind, blocking.ok) == (code, kind, False)
    assert not can_release(items)
    group = code.split(".")[0]
    assert [item.code for item in items if item.ok] == [
        f"{other}.ok" for other in CHECK_GROUPS if other != group
    ]


def item(inputs: ReleaseInputs, code: str):
    (found,) = [i for i in release_checklist(inputs) if i.code == code]
    return found


def test_items_name_the_failing_test():
    found = item(compliant(results=results(viability=65)), "qc.out_of_specification")
    assert found.message == "Viability is out of specification: 65 (limit ≥ 70 %)"
    assert found.params == {"test": "viability", "name": "Viability", "result": "65",
                            "limit": "≥ 70 %"}  # fmt: skip


def test_items_name_the_dose_and_its_disc_level():
    found = item(compliant(doses=(dose(1, "L4-L5", 15_500_000), dose(2, "L5-S1"))),
                 "dose_cells.below_range")  # fmt: skip
    assert found.message == (
        "The dose for L4-L5 holds 15.5 × 10⁶ viable cells, below the ordered 20 × 10⁶ ± 20 %"
    )
    assert found.params["level"] == "L4-L5"
    assert (found.params["low"], found.params["high"]) == (16_000_000, 24_000_000)


def test_items_name_the_deviation():
    deviation = OpenDeviation(7, Severity.MAJOR, "Incubator alarm")
    found = item(compliant(deviations=(deviation,)), "deviations.open")
    assert found.message == "Deviation 7 (major) is still open: Incubator alarm"
    assert found.params == {"deviation_id": 7, "severity": "major", "title": "Incubator alarm"}


def test_each_missing_level_and_each_failing_test_is_its_own_item():
    inputs = compliant(doses=(), results=results(viability=65, cd45=3))
    assert codes(blocking_items(release_checklist(inputs))) == [
        "qc.out_of_specification", "qc.out_of_specification",
        "dose_levels.missing", "dose_levels.missing",
    ]  # fmt: skip


def test_an_order_without_disc_levels_blocks():
    inputs = compliant(order=OrderInput(20_000_000, 20, ()), doses=())
    assert codes(blocking_items(release_checklist(inputs))) == ["dose_levels.none_ordered"]


def test_doses_exactly_at_the_tolerance_limits_pass():
    order = compliant().order
    assert dose_range(order) == (16_000_000, 24_000_000)
    doses = (dose(1, "L4-L5", 16_000_000), dose(2, "L5-S1", 24_000_000))
    assert can_release(release_checklist(compliant(doses=doses)))


def test_disc_levels_match_regardless_of_case_and_spaces():
    doses = (dose(1, "l4-l5 "), dose(2, "L5-S1"))
    assert can_release(release_checklist(compliant(doses=doses)))


def test_authorisation_is_valid_through_its_expiry_date():
    inputs = compliant(authorisation=authorisation(expires_on=NOW.date()))
    assert can_release(release_checklist(inputs))


def test_pending_sterility_is_flagged_but_does_not_block():
    items = release_checklist(compliant(results=results(sterility=None)))
    (pending,) = pending_items(items)
    assert (pending.code, pending.ok, pending.blocking) == ("qc.pending", False, False)
    assert pending.params["test"] == "sterility"
    assert "qc.ok" in codes(items)
    assert can_release(items)


def test_open_minor_deviations_are_notes_only():
    deviation = OpenDeviation(5, Severity.MINOR, "Label reprinted")
    items = release_checklist(compliant(deviations=(deviation,)))
    (note,) = [i for i in items if i.code == "deviations.open_minor"]
    assert (note.kind, note.ok, note.blocking) == (ItemKind.NOTE, False, False)
    assert "deviations.ok" in codes(items)
    assert can_release(items)


def test_a_failing_informational_result_is_a_note_only():
    informational = EvaluatedResult("diameter", "Diameter", "fail", False, False, "≤ 20 µm", 23)
    items = release_checklist(compliant(results=results() + (informational,)))
    (note,) = [i for i in items if i.code == "qc.informational_out_of_limit"]
    assert (note.kind, note.blocking) == (ItemKind.NOTE, False)
    assert can_release(items)


def test_out_of_specification_results_alone_allow_an_exceptional_release():
    doses = (dose(1, "L4-L5", cells=12_000_000), dose(2, "L5-S1"))
    items = release_checklist(compliant(results=results(viability=65), doses=doses))
    assert codes(out_of_specification_items(items)) == [
        "qc.out_of_specification", "dose_cells.below_range"]
    assert never_overridable_items(items) == []
    assert not can_release(items)
    assert can_release_exceptionally(items)


@pytest.mark.parametrize(
    ("changes", "code"),
    [pytest.param(*case.values[:2], id=case.id) for case in FAILURES if case.values[2] is REQ],
)
def test_requirements_can_never_be_overridden(changes, code):
    changes = {"results": results(viability=65), **changes}
    if code == "qc.missing":
        changes["results"] = results(viability=65, mycoplasma=None)
    items = release_checklist(compliant(**changes))
    assert codes(never_overridable_items(items)) == [code]
    assert codes(out_of_specification_items(items)) == ["qc.out_of_specification"]
    assert not can_release_exceptionally(items)


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="now must be a time-zone-aware datetime"):
        compliant(now=datetime(2026, 3, 10, 9, 30))


def test_a_naive_dose_expiry_is_refused():
    with pytest.raises(ValueError, match="expires_at"):
        DoseInput(1, "L4-L5", 20_000_000, datetime(2026, 3, 10, 9, 30))
