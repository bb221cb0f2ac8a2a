"""Journey: a technician types a count the culture's growth cannot explain, is warned,
confirms it with a reason, and finds the reason on the batch page; QA then releases the
batch and finds the same value and reason among the release record's exceptions."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from flask import current_app
from pypdf import PdfReader

from labtrack.audit.capture import SYSTEM, set_actor
from labtrack.clock import utcnow
from labtrack.culture import batches, harvest
from labtrack.culture.harvest import FormulationData, HarvestData
from labtrack.demo.lab import BENCH_JOURNEY
from labtrack.demo.seed import DEMO_ACCOUNTS
from labtrack.extensions import db
from labtrack.web.templating import lab_zone
from tests import builders
from tests.e2e.conftest import expect, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e
TECH = next(account for account in DEMO_ACCOUNTS if account.username == "tech")
QA = next(account for account in DEMO_ACCOUNTS if account.username == "qa")
REASON = "Pooled all four flasks before counting; recounted twice, same result."
HARVEST_REASON = "Harvest counted on the second counter after trypsinisation."


def test_a_count_past_a_soft_limit_is_recorded_only_with_a_reason(page: Page, live_server):
    sign_in(page, TECH.username, TECH.password)
    patient = f"{BENCH_JOURNEY.family_name.upper()}, {BENCH_JOURNEY.given_name}"
    batch_number = page.get_by_test_id("worklist-batch").filter(
        has_text=patient).get_attribute("data-batch")
    page.goto(f"/batches/{batch_number}")
    counts_before = page.get_by_test_id("count-row").count()

    page.get_by_test_id("log-count").click()
    page.get_by_label("Automated counter").check()
    page.locator("#viable_cells").fill("12")  # a day after about 3 × 10⁶
    page.locator("#dead_cells").fill("0.5")
    page.get_by_test_id("save-count").click()

    warning = page.get_by_test_id("plausibility-warning")
    expect(warning).to_contain_text("Viable cells: 12 × 10⁶ means a doubling time of")
    expect(warning).to_contain_text("shorter than the protocol's minimum of 0.8 days")
    page.get_by_test_id("save-count").click()  # again, without confirming: still refused
    expect(page.get_by_test_id("plausibility-warning")).to_be_visible()

    page.get_by_label("I have checked this value: it is right, record it as entered").check()
    page.get_by_label("Why the value is right").fill(REASON)
    page.get_by_test_id("save-count").click()

    expect(page).to_have_url(re.compile(rf"/batches/{batch_number}#count-\d+$"))
    expect(page.get_by_test_id("flash-success")).to_contain_text("Count recorded.")
    expect(page.get_by_test_id("count-row")).to_have_count(counts_before + 1)
    exception = page.get_by_test_id("plausibility-exception")
    expect(exception).to_have_count(1)
    expect(exception).to_contain_text("Confirmed despite a warning")
    expect(exception).to_contain_text("doubling time")
    expect(exception).to_contain_text(REASON)

    _bring_to_release(live_server, batch_number)
    page.context.clear_cookies()  # the technician leaves; QA signs in on the same browser
    _qa_releases(page, batch_number)
    record = _record_text(page)
    entry = _soft_limit_entry(record, "Cell count of 12 ×")
    assert "doubling time" in entry, entry
    assert f"Confirmed by {TECH.full_name}: {REASON}" in entry, entry
    # the harvest's own confirmation is a separate entry, with its own reason
    assert HARVEST_REASON not in entry
    assert HARVEST_REASON in _soft_limit_entry(record, "Harvest count of 50")


def _bring_to_release(live_server, batch_number: str) -> None:
    """Set-up, not the journey: harvest, formulation, verification and passing QC results
    entered through the services by other lab staff."""
    with live_server.app.app_context():
        set_actor(db.session, SYSTEM)
        batch = batches.find_batch(batch_number)
        technician = builders.user("technician")
        harvested_at = utcnow()
        harvest.harvest(technician, batch, HarvestData(
            harvested_at=harvested_at, viable_cells=50_000_000, dead_cells=2_500_000,
            plausibility_reason=HARVEST_REASON), lab_zone())
        harvest.formulate(technician, batch, FormulationData(
            formulated_at=harvested_at + timedelta(seconds=1), volume_ml=Decimal("2.00"),
            container="1 mL syringe, Luer lock", cells_per_dose=None), lab_zone(),
            current_app.config["DOSE_SHELF_LIFE_HOURS"])
        builders.verify_critical_steps(batch)
        builders.qc_results(batch)
        db.session.remove()


def _qa_releases(page: Page, batch_number: str) -> None:
    sign_in(page, QA.username, QA.password)
    page.get_by_test_id("awaiting-release").get_by_role("link", name=batch_number).click()
    expect(page.get_by_test_id("releasable")).to_contain_text("Every release requirement is met")
    page.get_by_role("link", name="Release…").click()
    page.get_by_label("User name").fill(QA.username)
    page.get_by_label("Password", exact=True).fill(QA.password)
    page.get_by_label(re.compile("I confirm this electronic signature")).check()
    page.get_by_test_id("decide").click()
    expect(page.get_by_test_id("flash-success")).to_contain_text(
        f"Batch {batch_number} released for clinical use")


def _record_text(page: Page) -> str:
    """The release record fetched from the page's own link, with QA's session; its text."""
    response = page.request.get(page.get_by_test_id("record-link").get_attribute("href"))
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def _soft_limit_entry(record: str, what: str) -> str:
    """The one exception line for a value past a soft limit, up to its page reference."""
    start = record.index("Review by exception")
    block = record[start:record.index(" DIN ", start)]
    head = f"Value past a soft limit: {what}"
    assert block.count(head) == 1, block
    entry = block[block.index(head):]
    return entry[:entry.index("(see page")]
