"""Demo batches at the end of culture: one ready to release, one blocked, one released.

They give QA a review queue and the clinician doses to administer when trying LabTrack.
Built through the same use cases as the bench demo (labtrack/demo/lab.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from labtrack.accounts import signatures
from labtrack.accounts.rules.signatures import Meaning
from labtrack.audit.capture import Actor
from labtrack.culture import counts, harvest
from labtrack.culture.harvest import FormulationData, HarvestData
from labtrack.culture.rules.growth import elapsed_days
from labtrack.demo.lab import DemoCulture, grow_culture, grown_from, verify_critical_steps
from labtrack.extensions import db
from labtrack.quality import qc as quality
from labtrack.quality import release
from labtrack.quality.qc import ResultData
from labtrack.quality.release import RecordSettings

PASSING = {
    "viability": "94", "cd73": "99", "cd90": "99.4", "cd105": "97.8", "cd45": "0.6",
    "cd34": "0.3", "cd14": "0.5", "cd19": "0.2", "hla_dr": "0.7", "mycoplasma": "not detected",
    "endotoxin": "0.12", "appearance": "conforms",
}  # sterility stays pending: the final culture reads out after release


@dataclass(frozen=True)
class DemoRelease:
    plan: DemoCulture
    results: dict
    release: bool = False


def _plan(record_number, given, family, born, sex, levels, procedure_in) -> DemoCulture:
    return DemoCulture(record_number, given, family, born, sex, levels, age=21,
                       procedure_in=procedure_in, doubling=2.0, medium_days=(5, 9, 13, 18),
                       passage_days=(10, 15), count_days=(4, 8, 10, 13, 15, 18, 20),
                       last_confluence=70, verified_seeding=False)


RELEASE_STAGE = (
    DemoRelease(_plan("HC100801", "Pilar", "Castro", date(1966, 3, 14), "F",
                      ("L4-L5", "L5-S1"), 2), PASSING),
    DemoRelease(_plan("HC100822", "Luis", "Romero", date(1959, 10, 2), "M", ("L5-S1",), 3),
                {**PASSING, "viability": "64"}),
    DemoRelease(_plan("HC100845", "Ana", "Vidal", date(1970, 7, 22), "F", ("L4-L5",), 1),
                PASSING, release=True),
)


def seed_release_stage(ctx, qa_password: str) -> None:
    """Grow, harvest, formulate and test each release-stage batch; release the last one.

    The harvest is two hours before now, whatever the hour: its cells are the last
    count's grown at the plan's doubling time for the time really elapsed, so the demo
    grows as realistically at 00:30 as at 18:00.
    """
    now = ctx.now
    for item in RELEASE_STAGE:
        batch = grow_culture(ctx, item.plan)
        harvested_at = now - timedelta(hours=2)
        _harvest_and_formulate(ctx, batch, harvested_at,
                               _cells_at_harvest(batch, item.plan, harvested_at))
        _test(ctx, batch, item.results, now - timedelta(minutes=30))
        verify_critical_steps(ctx, batch)
        if item.release:
            _release(ctx, batch, qa_password)


def _cells_at_harvest(batch, plan: DemoCulture, harvested_at: datetime) -> int:
    last = counts.current_counts(batch)[-1]
    return grown_from(last.viable_cells, elapsed_days(last.counted_at, harvested_at), plan)


def _harvest_and_formulate(ctx, batch, harvested_at: datetime, viable: int) -> None:
    harvest.harvest(ctx.tech, batch, HarvestData(
        harvested_at=harvested_at, viable_cells=viable, dead_cells=viable // 16), ctx.tz)
    harvest.formulate(ctx.tech, batch, FormulationData(
        formulated_at=harvested_at + timedelta(hours=1), volume_ml=Decimal("2.00"),
        container="3 mL syringe, Luer lock"), ctx.tz, ctx.config["DOSE_SHELF_LIFE_HOURS"])


def _test(ctx, batch, results: dict, tested_at: datetime) -> None:
    tests = {test.code: test for test in quality.specification_tests(batch)}
    for code, value in results.items():
        quality.record_result(ctx.tech2, batch, ResultData(
            test_code=code, value=value, method=tests[code].method or "as specified",
            analyst=ctx.tech2.full_name, tested_at=tested_at, instrument="QC-01"))


def _release(ctx, batch, qa_password: str) -> None:
    def sign(record_type, record_id, content):
        return signatures.sign(ctx.qa, qa_password, Meaning.RELEASED, record_type, record_id,
                               content, ctx.policy, Actor(ctx.qa.id, ctx.qa.username))

    release.release(ctx.qa, batch, sign, RecordSettings.from_config(ctx.config),
                    batch.version)
    db.session.commit()
