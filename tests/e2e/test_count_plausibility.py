"""Journey: a technician types a count the culture's growth cannot explain, is warned,
confirms it with a reason, and finds the reason on the batch page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from labtrack.demo.lab import BENCH_JOURNEY
from labtrack.demo.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import expect, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e
TECH = next(account for account in DEMO_ACCOUNTS if account.username == "tech")
REASON = "Pooled all four flasks before counting; recounted twice, same result."


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
