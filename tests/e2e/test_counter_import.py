"""Journey: a technician imports a cell counter's export file from the batch page, sees the
counter's warning in the preview, gives the volume, confirms, and finds the count on the
batch page with the file's SHA-256 in its history."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from labtrack.culture.models import Batch
from labtrack.culture.rules.states import BatchState
from labtrack.demo.seed import DEMO_ACCOUNTS
from labtrack.extensions import db
from tests import counter_files
from tests.e2e.conftest import expect, sign_in
from tests.integration.culture.counter_import_helpers import file_time

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e
TECH = next(account for account in DEMO_ACCOUNTS if account.username == "tech")


def _export_for_a_batch_in_culture(live_server) -> tuple[str, bytes]:
    with live_server.app.app_context():
        batch = db.session.scalars(select(Batch).where(
            Batch.state == BatchState.IN_CULTURE, Batch.seeded_at.is_not(None))
            .order_by(Batch.id)).first()
        content = counter_files.nc202({
            "sample": batch.batch_number, "when": file_time(1), "total": "1.07E+06",
            "live": "1 020 000", "dead": "50 000", "viability": "95.3",
            "status": "Foreign object detected"})
        number = batch.batch_number
        db.session.remove()
    return number, content


def test_a_technician_imports_a_counter_file_from_the_batch_page(page: Page, live_server,
                                                                  tmp_path):
    batch_number, content = _export_for_a_batch_in_culture(live_server)
    export = tmp_path / "NC202-export.csv"
    export.write_bytes(content)
    sha256 = hashlib.sha256(content).hexdigest()

    sign_in(page, TECH.username, TECH.password)
    page.goto(f"/batches/{batch_number}")
    page.get_by_test_id("import-counts").click()
    page.get_by_label("Counter export file").set_input_files(str(export))
    page.get_by_test_id("upload-file").click()

    row = page.get_by_test_id("preview-row").first
    expect(row.get_by_test_id("matched-batch")).to_have_text(batch_number)
    expect(row.get_by_test_id("row-warning")).to_contain_text(
        "The counter warned: Foreign object detected")
    expect(page.get_by_test_id("preview-hash")).to_have_text(sha256)
    expect(page.get_by_test_id("confirm-import")).to_have_count(0)
    row.get_by_test_id("volume").fill("20")
    page.get_by_test_id("review-totals").click()
    expect(page.get_by_test_id("preview-row").first.get_by_test_id("totals")).to_have_text(
        "20.4 / 1")
    page.get_by_test_id("confirm-import").click()

    expect(page).to_have_url(re.compile(rf"/batches/{batch_number}#counts$"))
    expect(page.get_by_test_id("flash-success")).to_contain_text(
        "1 count imported from NC202-export.csv")
    imported = page.get_by_test_id("count-row").filter(has_text="NC202-export.csv")
    expect(imported).to_have_count(1)
    expect(imported.get_by_test_id("viable")).to_have_text("20.4")
    expect(imported.get_by_test_id("count-file-hash")).to_have_text(sha256)
    expect(imported).to_contain_text("counter NC-202 9002012345")
