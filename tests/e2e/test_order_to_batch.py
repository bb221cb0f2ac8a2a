"""Journey: a clinician orders; a technician scans the sample in; the batch starts; label PDF."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from labtrack.demo.seed import DEMO_ACCOUNTS
from labtrack.identity.rules.isbt128 import make_din
from tests.e2e.conftest import expect, sign_in
from tests.helpers import lab_today

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e
DEMO = {account.username: account for account in DEMO_ACCOUNTS}


def _create_order(page: Page, record_number: str) -> str:
    """As the clinician: a new order registering a new patient; returns the order number."""
    today = lab_today()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
    page.get_by_role("link", name="New order").first.click()
    page.get_by_label("Hospital record number").fill(record_number)
    page.get_by_label("Given name").fill("Lucía")
    page.get_by_label("Family name").fill("Pérez")
    page.get_by_label("Date of birth").fill("1968-04-02")
    page.get_by_label("Sex").select_option("F")
    treated = page.get_by_role("group", name="Disc levels to treat")
    treated.get_by_label("L4-L5").check()
    treated.get_by_label("L5-S1").check()
    expect(page.get_by_label("Viable cells per disc (millions, × 10⁶)")).to_have_value("20")
    page.get_by_label("Planned procedure date").fill((today + timedelta(days=30)).isoformat())
    page.get_by_label("AEMPS authorisation reference").fill("AEMPS-PEI-E2E-1")
    page.get_by_label("Date granted").fill((today - timedelta(days=3)).isoformat())
    authorised = page.get_by_role("group", name="Disc levels authorised")
    authorised.get_by_label("L4-L5").check()
    authorised.get_by_label("L5-S1").check()
    page.get_by_role("button", name="Create order").click()

    expect(page.get_by_test_id("flash-success")).to_contain_text("created")
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting sample")
    expect(page.get_by_test_id("authorisation-status")).to_contain_text("covers every")
    expect(page.get_by_test_id("target-cells")).to_contain_text("40 × 10⁶")
    return page.get_by_test_id("order-number").inner_text().strip()


def _fill_receipt(page: Page, lab_zone: ZoneInfo, record_number: str) -> None:
    collected = datetime.now(lab_zone) - timedelta(hours=3)
    page.get_by_label("Collected at").fill(collected.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Collection site").fill("Right posterior iliac crest")
    page.get_by_label("Volume (mL)").fill("60")
    page.get_by_label("Anticoagulant").fill("Heparin")
    page.get_by_label("Collected by").fill("Dr. Ortega")
    page.get_by_label("Temperature on arrival (°C)").fill("21.5")
    page.get_by_role("group", name="Container intact?").get_by_label("Yes").check()
    page.get_by_label("Record number on the tube").fill(record_number)
    page.get_by_label("Patient name on the tube").fill("PÉREZ, Lucía")


def test_clinician_orders_technician_receives_batch_starts_label_downloads(page: Page,
                                                                          live_server):
    clinician, technician = DEMO["clinician"], DEMO["tech"]
    record_number = f"HC-E2E-{random.randrange(10**6):06d}"  # noqa: S311
    din = make_din("A9999", lab_today().year, random.randrange(500_000, 999_999))  # noqa: S311

    sign_in(page, clinician.username, clinician.password)
    order_number = _create_order(page, record_number)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, technician.username, technician.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Receive sample").click()
    row = page.get_by_test_id("awaiting-order").filter(has_text=order_number)
    expect(row).to_contain_text(record_number)
    row.get_by_role("link", name=f"Receive sample for order {order_number}").click()

    din_field = page.get_by_label("DIN (scan or type)")
    expect(din_field).to_be_focused()
    page.keyboard.type(din.barcode_data)  # what a USB scanner types, Enter included
    page.keyboard.press("Enter")
    # The scanner's Enter moves on to the next field: nothing is submitted half-filled.
    expect(din_field).not_to_be_focused()
    expect(page.locator('[aria-invalid="true"]')).to_have_count(0)
    expect(page.get_by_test_id("flash-error")).to_have_count(0)
    expect(din_field).to_have_value(din.barcode_data)  # nothing typed is lost

    _fill_receipt(page, ZoneInfo(live_server.app.config["LAB_TIMEZONE"]), record_number)
    page.get_by_role("button", name="Record receipt").click()

    expect(page.get_by_test_id("sample-status")).to_have_text("Accepted")
    expect(page.get_by_test_id("din").first).to_contain_text(din.grouped)
    batch_number = page.get_by_test_id("batch-number").inner_text().strip()
    assert batch_number.startswith("MSC")
    expect(page.get_by_test_id("flash-success")).to_contain_text(
        f"Batch {batch_number} has started.")

    with page.expect_download() as download_info:
        page.get_by_test_id("tube-label").click()
    download = download_info.value
    assert download.suggested_filename == f"tube-labels-{din.text}-single.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert din.grouped in text and batch_number in text and record_number in text

    page.get_by_role("link", name=f"Order {order_number}").click()
    expect(page.get_by_test_id("order-status")).to_have_text(f"Batch {batch_number}: In culture")


def test_the_scan_box_opens_what_was_scanned(page: Page, live_server):
    technician = DEMO["tech"]
    sign_in(page, technician.username, technician.password)
    box = page.get_by_label("Scan", exact=True)
    box.fill("not-a-real-code")
    box.press("Enter")
    expect(page.get_by_test_id("scan-message")).to_contain_text(
        "No record matches “not-a-real-code”.")
    expect(page.get_by_label("DIN, batch number, order number or dose code")).to_be_focused()
