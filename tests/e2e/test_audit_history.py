"""Journey: an admin changes a role with a reason; QA reads it in the record's history."""

from __future__ import annotations

import re

import pytest

from labtrack.demo.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import expect, sign_in

pytestmark = pytest.mark.e2e
DEMO = {account.username: account for account in DEMO_ACCOUNTS}


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

    expect(page.get_by_role("heading", level=1)).to_contain_text("History of user_account")
    row = page.get_by_test_id("audit-event").filter(has_text="Transferred to the QA unit")
    expect(row.get_by_test_id("event-who")).to_have_text(admin.username)
    expect(row.get_by_test_id("event-why")).to_have_text("Transferred to the QA unit")
    expect(row.get_by_test_id("event-when")).to_have_text(re.compile(r"\d{4}-\d\d-\d\d .* CES?T"))
    role_change = row.locator("tr", has_text="role")
    expect(role_change.get_by_test_id("old-value")).to_have_text("technician")
    expect(role_change.get_by_test_id("new-value")).to_have_text("qa")
    assert user_url.endswith(page.url.rsplit("/", 1)[-1])
