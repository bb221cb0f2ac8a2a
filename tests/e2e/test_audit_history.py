"""Journey: an admin changes a role with a reason; QA reads it in the record's history,
and reads a batch's trail as an inspector would (issue 18)."""

from __future__ import annotations

import re

import pytest

from labtrack.audit.capture import SYSTEM, set_actor
from labtrack.demo.seed import DEMO_ACCOUNTS
from labtrack.extensions import db
from tests import builders
from tests.e2e.conftest import expect, sign_in

pytestmark = pytest.mark.e2e
DEMO = {account.username: account for account in DEMO_ACCOUNTS}
LAB_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T$")


def test_qa_sees_old_new_who_when_and_why_in_a_record_history(page, live_server):
    username = live_server.create_user("technician")
    admin, qa = DEMO["admin"], DEMO["qa"]

    sign_in(page, admin.username, admin.password)
    page.get_by_role("link", name=username).click()
    page.get_by_label("Role").select_option("qa")
    page.locator("#role-reason").fill("Transferred to the QA unit")
    page.get_by_role("button", name="Change role").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    user_url = page.url
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, qa.username, qa.password)
    page.get_by_role("link", name="Audit trail").click()
    page.locator("#username").fill(admin.username)
    page.get_by_role("button", name="Filter").click()
    change = page.get_by_test_id("audit-event").filter(has_text="Transferred to the QA unit")
    expect(change).to_have_count(1)
    change.get_by_role("link").click()

    # The record by its person's name, the story oldest first.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"History of User account {username.title()} Tester")
    row = page.get_by_test_id("audit-event").filter(has_text="Transferred to the QA unit")
    expect(row.get_by_test_id("event-who")).to_have_text(f"{admin.full_name} (Admin)")
    expect(row.get_by_test_id("event-why")).to_have_text("Transferred to the QA unit")
    expect(row.get_by_test_id("event-when")).to_have_text(LAB_TIME)
    role_change = row.get_by_test_id("change").filter(has_text="Role")
    expect(role_change.get_by_test_id("old-value")).to_have_text("technician")
    expect(role_change.get_by_test_id("new-value")).to_have_text("qa")
    assert user_url.endswith(page.url.rsplit("/", 1)[-1])


def test_an_inspector_reads_a_batch_trail_in_labels_names_and_identifiers(page, live_server):
    with live_server.app.app_context():
        set_actor(db.session, SYSTEM)
        batch = builders.releasable_batch()
        number, din = batch.batch_number, batch.sample.din
        db.session.remove()
    qa = DEMO["qa"]
    sign_in(page, qa.username, qa.password)
    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Record type").select_option(label="QC result")
    page.get_by_role("button", name="Filter").click()

    rows = page.get_by_test_id("audit-event")
    expect(rows.first).to_be_visible()
    viability = rows.filter(has_text="viability").first
    expect(viability).to_contain_text("QC result viability")
    expect(viability).to_contain_text(f"Batch {number}")  # not "batch_id 10"
    expect(viability).to_contain_text("Result value")  # not "numeric_value"
    expect(viability.get_by_test_id("event-who")).to_have_text(re.compile(r"\(Technician\)$"))
    expect(viability.get_by_test_id("event-when")).to_have_text(LAB_TIME)
    assert "numeric_value" not in page.content() and "batch_id" not in page.content()
    # Compact rows: a page of 25 creation events stays a readable length.
    count = rows.count()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 160 * max(count, 1) + 900, (count, height)

    viability.get_by_role("link", name=re.compile("QC result viability")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of QC result viability")
    story = page.get_by_test_id("audit-event")
    expect(story.first.get_by_test_id("event-action")).to_have_text("created")
    expect(story.first).to_contain_text(f"Batch {number}")
    assert din  # the sample's DIN is its business identifier elsewhere in the trail
