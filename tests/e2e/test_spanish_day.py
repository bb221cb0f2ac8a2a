"""Journeys in Spanish: a technician chooses Spanish on the account page, then receives a
sample, records a medium change and logs a count; a clinician whose browser asks for
Spanish opens the readiness page. Every word checked is the es catalogue's.

Needs the Spanish catalogue: skipped only while labtrack/translations/es is absent.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from labtrack.audit.capture import SYSTEM, set_actor
from labtrack.demo.lab import BENCH_JOURNEY, LOTS
from labtrack.demo.seed import DEMO_ACCOUNTS
from labtrack.extensions import db
from labtrack.identity.rules.isbt128 import make_din
from tests import builders
from tests.e2e.conftest import expect
from tests.helpers import lab_today
from tests.i18n import spanish_messages

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e
DEMO = {account.username: account for account in DEMO_ACCOUNTS}
MEDIUM_LOT = next(number for material, _, number, _, _ in LOTS if material == "α-MEM")


@pytest.fixture
def es():
    """The catalogue's Spanish for an English message (a missing one fails the test)."""
    spanish = spanish_messages()

    def translate(english: str, **variables) -> str:
        assert english in spanish, f"no Spanish for {english!r}"
        return spanish[english] % variables if variables else spanish[english]

    return translate


@pytest.fixture
def spanish_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="es-ES")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")


def _awaiting_order(live_server) -> tuple[str, str, str]:
    """An order awaiting its sample (the demo lab has none): number, record number, name."""
    with live_server.app.app_context():
        set_actor(db.session, SYSTEM)
        clinician = builders.user("clinician")
        patient = builders.patient(clinician, given_name="Lucía", family_name="Pérez")
        order = builders.order(clinician, patient)
        db.session.commit()
        found = order.order_number, patient.record_number, patient.display_name
        db.session.remove()
    return found


def _receive(page: Page, es, live_server) -> None:
    order_number, record_number, name = _awaiting_order(live_server)
    din = make_din("A9999", lab_today().year, random.randrange(500_000, 999_999))  # noqa: S311
    navigation = page.get_by_role("navigation", name=es("Main"))
    navigation.get_by_role("link", name=es("Receive sample")).click()
    page.get_by_role("link", name=es("Receive sample for order %(number)s",
                                     number=order_number)).click()
    page.get_by_label(es("DIN (scan or type)")).fill(din.barcode_data)
    collected = datetime.now(ZoneInfo(live_server.app.config["LAB_TIMEZONE"])) - timedelta(
        hours=3)
    page.get_by_label(es("Collected at")).fill(collected.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label(es("Collection site")).fill("Cresta ilíaca posterior derecha")
    page.get_by_label(es("Volume (mL)")).fill("60")
    page.get_by_label(es("Anticoagulant")).fill("Heparina")
    page.get_by_label(es("Collected by")).fill("Dr. Ortega")
    page.get_by_label(es("Temperature on arrival (°C)")).fill("21.5")
    page.get_by_role("group", name=es("Container intact?")).get_by_label(es("Yes")).check()
    page.get_by_label(es("Record number on the tube")).fill(record_number)
    page.get_by_label(es("Patient name on the tube")).fill(name)
    page.get_by_role("button", name=es("Record receipt")).click()
    expect(page.get_by_test_id("sample-status")).to_have_text(es("Accepted"))
    batch_number = page.get_by_test_id("batch-number").inner_text().strip()
    expect(page.get_by_test_id("flash-success")).to_contain_text(
        es("Sample accepted. Batch %(batch)s has started.", batch=batch_number))


def test_a_technicians_day_in_spanish(spanish_page: Page, live_server, es):
    page = spanish_page
    tech = DEMO["tech"]
    sign_in(page, tech.username, tech.password)
    page.get_by_test_id("account-link").click()
    page.get_by_label(es("Language")).select_option("es")
    page.get_by_role("button", name=es("Save language")).click()
    expect(page.get_by_test_id("flash-success")).to_have_text(es("Your language was saved."))
    expect(page.locator("html")).to_have_attribute("lang", "es")

    _receive(page, es, live_server)

    page.get_by_role("link", name=es("Home")).click()
    expect(page.get_by_test_id("home-title")).to_have_text(es("Today"))
    patient = f"{BENCH_JOURNEY.family_name.upper()}, {BENCH_JOURNEY.given_name}"
    row = page.get_by_test_id("worklist-batch").filter(has_text=patient)
    batch_number = row.get_attribute("data-batch")
    task = row.locator('[data-testid="task"][data-kind="medium_change"]')
    task.get_by_role("link", name=es("Medium change")).click()
    page.get_by_label(es("…or scan lot numbers")).fill(f"{MEDIUM_LOT};50 mL")
    page.get_by_test_id("save-step").click()
    expect(page).to_have_url(re.compile(rf"/batches/{batch_number}#step-\d+$"))
    expect(page.get_by_test_id("flash-success")).to_have_text(
        es("%(step)s recorded.", step=es("Medium change")))

    page.get_by_test_id("log-count").click()
    page.get_by_label(es("Automated counter")).check()
    page.locator("#viable_cells").fill("3.4")  # a Spanish browser shows it as 3,4
    page.locator("#dead_cells").fill("0.15")
    page.get_by_test_id("save-count").click()
    expect(page.get_by_test_id("flash-success")).to_have_text(es("Count recorded."))
    expect(page.get_by_test_id("count-row").last).to_contain_text("3,4")
    expect(page.locator("html")).to_have_attribute("lang", "es")


def test_a_clinicians_readiness_page_in_spanish(spanish_page: Page, live_server, es):
    page = spanish_page  # no choice on the account: the browser asks for Spanish
    clinician = DEMO["clinician"]
    sign_in(page, clinician.username, clinician.password)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_test_id("home-title")).to_have_text(es("Dose readiness"))
    rows = page.get_by_test_id("readiness-row")
    expect(rows.first).to_be_visible()
    in_culture = rows.filter(has=page.locator('[data-testid="status"]')).locator(
        '[data-testid="status"]')
    statuses = {text.split(" (")[0] for text in in_culture.all_inner_texts()}
    spanish_statuses = {es(english) for english in (
        "Awaiting sample", "Sample rejected", "In culture", "At risk", "Awaiting release",
        "Released and ready", "Expired", "Administered")}
    assert statuses and statuses <= spanish_statuses, statuses
    day = page.get_by_test_id("status").filter(has_text="(").first
    expect(day).to_contain_text(es("day %(day)d", day=0).split("0")[0].strip())
