"""Journey: a clinician sees a demo patient's 3-month visit due on their home page, records
it (pain, ODI section by section) and sees it on the patient's chart of pain and disability."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from labtrack.demo.followup import TREATED
from labtrack.demo.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import expect, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e
CLINICIAN = next(account for account in DEMO_ACCOUNTS if account.username == "clinician")
DUE = next(item for item in TREATED if item.injected_days_ago == 91)  # 3 months ago
ODI = ["2", "1", "2", "1", "2", "1", "1", "0", "1", "1"]  # 12 of 50: 24 %


def test_a_clinician_records_a_3_month_visit_and_sees_the_chart(page: Page):
    sign_in(page, CLINICIAN.username, CLINICIAN.password)
    due = page.locator('[data-testid="visit-due"][data-visit="month_3"]')
    expect(due).to_have_count(1)
    expect(due).to_contain_text(re.compile(DUE.plan.family_name, re.IGNORECASE))
    expect(due).to_contain_text("3 months")
    due.get_by_role("link", name="Record visit").click()

    form = page.get_by_test_id("visit-form")
    expect(form.get_by_label("Visit", exact=True)).to_have_value("month_3")
    form.get_by_label("Low back pain").fill("4")
    form.get_by_label("Leg pain").fill("2")
    for number, score in enumerate(ODI, start=1):
        form.locator(f"#odi-{number - 1}").select_option(score)
    form.get_by_label("Patient's global impression of change").select_option("much_improved")
    form.get_by_label("Analgesic use").select_option("occasional")
    form.get_by_test_id("save-visit").click()

    expect(page.get_by_test_id("flash-success")).to_contain_text("3 months visit recorded")
    visit = page.locator('[data-testid="visit"][data-visit="month_3"]')
    expect(visit.get_by_test_id("back-pain")).to_have_text("4")
    expect(visit.get_by_test_id("odi")).to_have_text("24.0 %")
    chart = page.get_by_test_id("outcome-chart")
    expect(chart.locator("svg")).to_be_visible()
    # Baseline, 1 week and now 3 months: three points on each of the three lines.
    expect(chart.locator('[data-series="back_pain"] circle')).to_have_count(3)
    expect(chart.locator('[data-series="odi"] circle')).to_have_count(3)
    expect(page.locator('[data-testid="planned-visit"][data-visit="month_3"]')).to_have_attribute(
        "data-state", "done")

    page.goto("/readiness")
    expect(page.locator('[data-testid="visit-due"][data-visit="month_3"]')).to_have_count(0)
