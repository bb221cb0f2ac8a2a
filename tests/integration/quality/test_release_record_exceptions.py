"""Page 1 of the release record, review by exception: every exception of a batch, read
from the rendered PDF, each naming the page that holds its detail."""

import re
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import current_app
from sqlalchemy import select, update

from labtrack.accounts.rules.signatures import Meaning
from labtrack.audit import capture as audit
from labtrack.clock import utcnow
from labtrack.culture import counts, formulation_corrections, harvest
from labtrack.culture.harvest import FormulationData, HarvestData
from labtrack.culture.models import CultureStep
from labtrack.culture.steps import WINDOW_DEVIATION_KIND
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.qms import deviations
from labtrack.quality import qc as quality
from labtrack.quality import release as releasing
from labtrack.quality.models import QcResult
from labtrack.quality.qc import ResultData
from labtrack.web.templating import lab_zone
from tests import builders
from tests.integration.quality.test_release_record_pdf import EXCEPTIONAL, pages_text


def _batch_with_one_exception_of_each_kind():
    """A batch awaiting release with one exception of every kind page 1 lists."""
    technician = builders.user("technician")
    batch = builders.seeded_batch(technician=technician)  # its start backdated: a change
    window = deviations.open_deviation(
        technician, batch, WINDOW_DEVIATION_KIND, "minor",
        "Medium change outside its protocol window",
        "Medium change on culture day 7 is after its protocol window (days 2–4).")
    db.session.commit()
    builders.step(batch, "medium_change", technician, deviation_id=window.id)
    wrong = builders.count(batch, 7_000_000, counted_at=utcnow() - timedelta(days=5),
                           technician=technician)
    counts.void_count(technician, wrong, "Counted the flask of another batch")
    db.session.commit()
    builders.count(batch, 9_000_000, counted_at=utcnow() - timedelta(days=4),
                   technician=technician)
    builders.count(batch, 30_000_000, counted_at=utcnow() - timedelta(days=1),
                   technician=technician)
    seeding = db.session.scalars(select(CultureStep).where(
        CultureStep.batch_id == batch.id, CultureStep.kind == "seeding")).one()
    builders.verify(seeding, builders.user("technician", full_name="Lucía Verificadora"))
    with audit.reason(db.session, "Flask count corrected after verification"):
        seeding.flasks += 1  # changed after entry, and after its verification
        db.session.commit()
    harvest.harvest(technician, batch, HarvestData(
        harvested_at=utcnow() - timedelta(hours=1), viable_cells=50_000_000,
        dead_cells=2_500_000), lab_zone())
    formulated_at = utcnow() - timedelta(minutes=30)
    harvest.formulate(technician, batch, FormulationData(
        formulated_at=formulated_at, volume_ml=Decimal("2.00"),
        container="1 mL syringe, Luer lock", cells_per_dose=None), lab_zone(),
        current_app.config["DOSE_SHELF_LIFE_HOURS"])
    formulation_corrections.correct_formulation(technician, batch, FormulationData(
        formulated_at=formulated_at, volume_ml=Decimal("1.50"),
        container="1 mL syringe, Luer lock", cells_per_dose=None),
        "Drawn up as 2 mL, the order says 1.5 mL", current_app.config["DOSE_SHELF_LIFE_HOURS"])
    builders.verify(db.session.scalars(select(CultureStep).where(
        CultureStep.batch_id == batch.id, CultureStep.kind == "harvest")).one(),
        builders.user("technician"))
    builders.verify_critical_steps(batch)
    builders.qc_results(batch, skip=("sterility",), viability="60", cd105="9.8")
    cd105 = next(r for r in quality.current_results(batch) if r.test_code == "cd105")
    quality.amend_result(technician, cd105, ResultData(
        "cd105", "98", cd105.method, cd105.analyst, cd105.tested_at), "Decimal point misplaced")
    # (A stored verdict that disagrees blocks even an exceptional release: see below.)
    door = deviations.report_deviation(technician, batch, "equipment", "minor",
                                       "Incubator door left ajar", "Closed within 2 minutes.")
    return batch, window, door


def _render_first_page(pdf: bytes, request, tmp_path) -> None:
    """Page 1 at 80 dpi into test-artifacts/release-record/, for a person to look at."""
    folder = request.config.rootpath / "test-artifacts" / "release-record"
    folder.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "record.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", "-f", "1", "-l", "1",
                    source, folder / "every-exception-page-1"], check=True, timeout=60)


def _exceptions_block(first_page: str) -> str:
    text = " ".join(first_page.split())
    start = text.index("Review by exception")
    return text[start:text.index(" DIN ", start)]


def test_page_one_lists_every_exception_once_with_the_page_of_its_detail(app, request,
                                                                          tmp_path):
    batch, window, door = _batch_with_one_exception_of_each_kind()
    decision = builders.release(batch, exceptional=EXCEPTIONAL)
    _render_first_page(decision.record_pdf, request, tmp_path)
    pages = [" ".join(page.split()) for page in pages_text(decision.record_pdf)]
    block = _exceptions_block(pages[0])

    expected = {  # each exception: what page 1 says, and what its page of detail holds
        "Exceptional release of an out-of-specification product": None,
        "Viability is out of specification: 60": "Viability",
        "Sterility is pending": "Sterility",
        "Step outside its protocol window: Medium change at ": window.number,
        f"Minor deviation {door.number} is still open: Incubator door left ajar": door.number,
        "Amended entry: QC result cd105, result from 9.8 to 98":
            "Decimal point misplaced",
        "Voided entry: Cell count of ": "Counted the flask of another batch",
        "Formulation corrected on ": "-L4L5-R1",
        "Changed after first entry: batch ": "Backdated test batch",
        "Changed after first entry: culture_step ": "Flask count corrected after verification",
        "Signature superseded: Step: seeding changed after Lucía Verificadora signed it":
            "SUPERSEDED",
    }
    for start, detail in expected.items():
        assert block.count(start) == 1, (start, block)
        if detail is None:
            continue
        after = block[block.index(start):]
        page = int(re.search(r"\(see page (\d+)\)", after).group(1))
        assert detail in pages[page - 1], (start, page)
    # nothing else: one "see page" per exception with a detail, and the window deviation
    # listed as the step's, not a second time as an open deviation
    assert block.count("(see page") == len([d for d in expected.values() if d])
    assert block.count(window.number) == 1 and block.count(door.number) == 1
    assert "Step outside its protocol window: Medium change at" in block


def test_the_record_evaluates_each_result_again_and_flags_a_stored_verdict_that_disagrees(app):
    batch = builders.releasable_batch(cd90="99.5")
    db.session.execute(update(QcResult).where(QcResult.batch_id == batch.id,
                                              QcResult.test_code == "cd90")
                       .values(verdict="fail"))  # stored wrongly: 99.5 % meets ≥ 95 %
    with pytest.raises(ServiceError, match="CD90 .* was recorded as fail"):
        builders.release(batch, exceptional=EXCEPTIONAL)  # not even by exception
    db.session.rollback()
    qa = builders.user("qa")
    decision = releasing.reject(qa, batch, builders.sign_as(qa, Meaning.REJECTED),
                                builders.release_settings(), "CD90's record changed after entry",
                                batch.version)
    first = _exceptions_block(" ".join(pages_text(decision.record_pdf)[0].split()))
    line = first[first.index("CD90 (identity) was recorded as fail, but its result 99.5"):]
    assert "is pass against the specification: the record changed after entry" in line
    page = int(re.search(r"\(see page (\d+)\)", line).group(1))
    assert "CD90 (identity)" in pages_text(decision.record_pdf)[page - 1]


def test_an_ordinary_batch_points_to_its_one_change(app):
    batch = builders.releasable_batch()
    decision = builders.release(batch)
    block = _exceptions_block(pages_text(decision.record_pdf)[0])
    assert "Changed after first entry: batch" in block  # the builder's backdated start
    assert "(see page" in block
    assert "soft limit" not in block


def test_a_value_confirmed_past_a_soft_limit_is_listed_with_its_reason(app):
    technician = builders.user("technician", full_name="Ana Contadora")
    batch = builders.seeded_batch(technician=technician)
    builders.count(batch, 9_000_000, counted_at=utcnow() - timedelta(days=2),
                   technician=technician)
    # 9 → 60 × 10⁶ in a day: a doubling time far shorter than the protocol's minimum
    builders.count(batch, 60_000_000, counted_at=utcnow() - timedelta(days=1),
                   technician=technician,
                   plausibility_reason="Counted twice on two counters: same result")
    harvest.harvest(technician, batch, HarvestData(
        harvested_at=utcnow() - timedelta(hours=1), viable_cells=55_000_000,
        dead_cells=2_500_000), lab_zone())
    harvest.formulate(technician, batch, FormulationData(
        formulated_at=utcnow() - timedelta(minutes=30), volume_ml=Decimal("2.00"),
        container="1 mL syringe, Luer lock", cells_per_dose=None), lab_zone(),
        current_app.config["DOSE_SHELF_LIFE_HOURS"])
    builders.verify_critical_steps(batch)
    builders.qc_results(batch)
    decision = builders.release(batch)
    pages = [" ".join(page.split()) for page in pages_text(decision.record_pdf)]
    block = _exceptions_block(pages[0])
    start = block.index("Value past a soft limit: Cell count of 60")
    line = block[start:]
    assert "Confirmed by Ana Contadora: Counted twice on two counters: same result" in line
    page = int(re.search(r"\(see page (\d+)\)", line).group(1))
    assert "Cell counts" in pages[page - 1]
