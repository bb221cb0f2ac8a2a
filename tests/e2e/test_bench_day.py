"""Journey: a technician opens Today, changes the medium of a demo batch, logs a count, and
sees the progress bar and the growth chart move."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from labtrack.demo.lab import BENCH_JOURNEY, LOTS
from labtrack.demo.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import expect, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e
TECH = next(account for account in DEMO_ACCOUNTS if account.username == "tech")
MEDIUM_LOT = next(number for material, _, number, _, _ in LOTS if material == "α-MEM")


def _growth(page: Page) -> tuple[int, str, int]:
    """Progress bar value, progress text, and the number of counts drawn on the chart."""
    bar = page.get_by_test_id("progress-bar")
    points = page.get_by_test_id("growth-chart").locator("circle.count")
    return (int(bar.get_attribute("value")), page.get_by_test_id("progress-text").inner_text(),
            points.count())


def test_a_technician_changes_the_medium_and_logs_a_count(page: Page, live_server):
    sign_in(page, TECH.username, TECH.password)
    expect(page.get_by_test_id("home-title")).to_have_text("Today")
    patient = f"{BENCH_JOURNEY.family_name.upper()}, {BENCH_JOURNEY.given_name}"
    row = page.get_by_test_id("worklist-batch").filter(has_text=patient)
    task = row.locator('[data-testid="task"][data-kind="medium_change"]')
    expect(task).to_contain_text("Due")
    batch_number = row.get_attribute("data-batch")

    task.get_by_role("link", name="Medium change").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Medium change")
    expect(page.get_by_test_id("window-warning")).to_have_count(0)  # inside its window
    page.get_by_label("…or scan lot numbers").fill(f"{MEDIUM_LOT};50 mL")
    page.get_by_test_id("save-step").click()

    expect(page).to_have_url(re.compile(rf"/batches/{batch_number}#step-\d+$"))
    expect(page.get_by_test_id("flash-success")).to_contain_text("Medium change recorded.")
    change = page.get_by_test_id("step").filter(has_text="Medium change").last
    expect(change).to_contain_text(f"α-MEM {MEDIUM_LOT}")
    expect(change).to_contain_text("(50 mL)")
    value_before, text_before, points_before = _growth(page)

    page.get_by_test_id("log-count").click()
    page.get_by_label("Automated counter").check()
    page.locator("#viable_cells").fill("3.4")
    page.locator("#dead_cells").fill("0.15")
    page.get_by_test_id("save-count").click()

    expect(page.get_by_test_id("flash-success")).to_contain_text("Count recorded.")
    expect(page.get_by_test_id("progress-text")).to_contain_text(
        "3.4 × 10⁶ of 40 × 10⁶ viable cells")
    value_after, text_after, points_after = _growth(page)
    assert points_after == points_before + 1
    assert value_after > value_before
    assert text_after != text_before
    expect(page.get_by_test_id("count-row").last).to_contain_text("3.4")

    page.get_by_role("link", name="Home").click()
    row = page.get_by_test_id("worklist-batch").filter(has_text=patient)
    expect(row.locator('[data-kind="medium_change"]')).to_have_count(0)
