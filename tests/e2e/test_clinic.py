"""Journey: a clinician sees the demo patients' statuses, then records an administration by
scanning with a keyboard-wedge scanner (text + Enter); a wrong dose is refused on screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from labtrack.accounts import users as accounts
from labtrack.audit.capture import SYSTEM, set_actor
from labtrack.clinic.readiness import ReadinessFilter, ReadinessSettings, readiness_list
from labtrack.clock import zone_of
from labtrack.culture import batches, harvest
from labtrack.demo.lab import CULTURES
from labtrack.demo.seed import DEMO_ACCOUNTS
from labtrack.extensions import db
from tests import builders
from tests.e2e.conftest import expect, sign_in
from tests.label_scans import rasterise_pages, scan_page

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e
CLINICIAN = next(account for account in DEMO_ACCOUNTS if account.username == "clinician")


def _released_order(live_server) -> dict:
    """A released batch for a new patient of the demo clinician, made through the services."""
    with live_server.app.app_context():
        set_actor(db.session, SYSTEM)
        clinician = accounts.find_user(CLINICIAN.username)
        order = builders.order(clinician)
        batch = builders.releasable_batch(order)
        builders.release(batch)
        doses = {dose.disc_level: dose.dose_code for dose in harvest.batch_doses(batch)}
        facts = {"order": order.order_number, "wristband": order.patient.record_number,
                 "name": order.patient.display_name, "doses": doses,
                 "batch": batch.batch_number}
        db.session.remove()
    return facts


def _expected_statuses(live_server) -> dict[str, str]:
    """Order number → status, as the service works it out for the demo clinician."""
    with live_server.app.app_context():
        clinician = accounts.find_user(CLINICIAN.username)
        rows = readiness_list(ReadinessFilter(clinician_id=clinician.id),
                              ReadinessSettings.from_config(live_server.app.config))
        statuses = {row.order.order_number: row.readiness.status.value for row in rows}
        db.session.remove()
    return statuses


def _scan(page: Page, code: str) -> None:
    """What a keyboard-wedge scanner does: type into the focused field, then Enter."""
    # A person scans once the page shows its focused field; so does the test.
    page.wait_for_function("document.activeElement && document.activeElement.tagName === 'INPUT'")
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_a_clinician_sees_statuses_and_administers_by_scanning(page: Page, live_server):
    released = _released_order(live_server)
    expected = _expected_statuses(live_server)
    sign_in(page, CLINICIAN.username, CLINICIAN.password)
    expect(page.get_by_test_id("home-title")).to_have_text("Dose readiness")

    rows = page.get_by_test_id("readiness-row")
    for culture in CULTURES:
        expect(rows.filter(has_text=culture.record_number)).to_have_count(1)
    shown = {row.get_attribute("data-order"): row.get_attribute("data-status")
             for row in rows.all()}
    assert shown == {number: status for number, status in expected.items()
                     if status != "administered"}
    assert {"in_culture", "released"} <= set(shown.values())
    ready = rows.filter(has_text=released["wristband"])
    expect(ready.get_by_test_id("status")).to_have_text("Released and ready")
    expect(ready.get_by_test_id("dose-time")).to_have_count(2)

    page.get_by_test_id("administer-link").click()
    expect(page.get_by_label("Patient wristband")).to_be_focused()
    _scan(page, released["wristband"])
    expect(page.get_by_test_id("patient-name")).to_have_text(released["name"])
    expect(page.get_by_label("Disc level being treated")).to_have_value("L4-L5")
    expect(page.get_by_label("Dose label")).to_be_focused()

    _scan(page, released["doses"]["L5-S1"])  # the wrong syringe for L4-L5
    refusal = page.get_by_test_id("refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("WRONG DISC LEVEL")
    expect(page.get_by_label("Dose label")).to_have_value("")
    expect(page.get_by_label("Dose label")).to_be_focused()

    _scan(page, released["doses"]["L4-L5"])
    expect(page.get_by_test_id("verified")).to_contain_text("Checked: this dose may be given")
    expect(page.get_by_test_id("verified-level")).to_have_text("L4-L5")
    expect(page.get_by_test_id("confirm")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("flash-success")).to_contain_text(
        f"Dose {released['doses']['L4-L5']} recorded as administered into L4-L5.")
    expect(page.get_by_test_id("refusal")).to_have_count(0)

    expect(page.get_by_label("Disc level being treated")).to_have_value("L5-S1")
    _scan(page, released["doses"]["L5-S1"])
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("flash-success")).to_contain_text("into L5-S1")
    given = page.get_by_test_id("patient-dose").get_by_test_id("administered")
    expect(given).not_to_have_text(["—", "—"])

    page.goto("/readiness?status=administered")
    done = page.get_by_test_id("readiness-row").filter(has_text=released["wristband"])
    expect(done.get_by_test_id("status")).to_have_text("Administered")
    page.goto(f"/orders/{released['order']}")
    expect(page.locator('[data-stage="administration"]')).to_have_count(3)  # 2 doses, completed


def test_a_dose_for_another_patient_is_refused_on_screen(page: Page, live_server):
    mine, theirs = _released_order(live_server), _released_order(live_server)
    sign_in(page, CLINICIAN.username, CLINICIAN.password)
    page.goto("/administer")
    _scan(page, mine["wristband"])
    expect(page.get_by_label("Dose label")).to_be_focused()
    _scan(page, theirs["doses"]["L4-L5"])
    refusal = page.get_by_test_id("refusal")
    expect(refusal).to_contain_text("WRONG PATIENT")
    expect(refusal).to_contain_text(mine["name"])
    expect(page.get_by_test_id("administered")).to_have_text(["—", "—"])


def _printed_labels(live_server, batch_number: str, folder) -> dict[str, dict]:
    """Each dose label as printed (PDF, 203 dpi) and read back by zbar and zxing-cpp."""
    with live_server.app.app_context():
        set_actor(db.session, SYSTEM)
        batch = batches.find_batch(batch_number)
        settings = harvest.LabelSettings.from_config(live_server.app.config,
                                                     zone_of(live_server.app.config))
        pdf = harvest.dose_labels(builders.user("technician"), batch, settings)
        levels = {dose.product_code: dose.disc_level for dose in harvest.batch_doses(batch)}
        db.session.remove()
    labels = {}
    for image in rasterise_pages(pdf, 203, folder):
        symbols = scan_page(image)
        code = next(text for text in symbols["code128"] if text.startswith("=<"))
        labels[levels[code[2:]]] = symbols
    return labels


def test_the_bedside_takes_what_a_scanner_reads_off_the_printed_labels(page: Page, live_server,
                                                                       tmp_path):
    released = _released_order(live_server)
    labels = _printed_labels(live_server, released["batch"], tmp_path)
    sign_in(page, CLINICIAN.username, CLINICIAN.password)
    page.goto("/administer")
    _scan(page, released["wristband"])
    expect(page.get_by_label("Disc level being treated")).to_have_value("L4-L5")

    _scan(page, labels["L5-S1"]["datamatrix"][0])  # the other level's syringe, its 2-D code
    expect(page.get_by_test_id("refusal")).to_contain_text("WRONG DISC LEVEL")

    mine = labels["L4-L5"]["code128"]
    _scan(page, next(text for text in mine if text.startswith("=A")))  # the DIN's bars first
    expect(page.get_by_test_id("scan-prompt")).to_contain_text("Now scan the product code")
    expect(page.get_by_label("Dose label")).to_have_value("")
    expect(page.get_by_label("Dose label")).to_be_focused()
    _scan(page, next(text for text in mine if text.startswith("=<")))
    expect(page.get_by_test_id("verified")).to_contain_text("Checked: this dose may be given")
    expect(page.get_by_test_id("verified-level")).to_have_text("L4-L5")
