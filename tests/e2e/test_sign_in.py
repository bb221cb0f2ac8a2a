"""Journey: each role signs in to its own home page, sees only its links, and signs out."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from labtrack.demo.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import expect, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

DEMO = {account.username: account for account in DEMO_ACCOUNTS}


@pytest.mark.parametrize(
    ("username", "path", "heading", "role_label", "required_links", "forbidden_links"),
    [
        ("tech", "/today", "Today", "Lab technician", {"Home"}, {"Users", "Audit trail"}),
        ("qa", "/review", "Review queue", "Quality assurance", {"Home"}, {"Users"}),
        ("clinician", "/readiness", "Dose readiness", "Clinician", {"Home"},
         {"Users", "Audit trail"}),
        ("admin", "/admin/users", "Users", "Administrator", {"Home", "Users"}, set()),
    ],
    ids=["technician", "qa", "clinician", "admin"],
)
def test_each_role_signs_in_to_its_home_and_signs_out(
    page: Page, live_server, username, path, heading, role_label, required_links,
    forbidden_links,
):
    account = DEMO[username]

    sign_in(page, account.username, account.password)

    expect(page).to_have_url(f"{live_server.url}{path}")
    expect(page.get_by_test_id("home-title")).to_have_text(heading)
    expect(page.get_by_test_id("current-role")).to_have_text(role_label)
    expect(page.get_by_test_id("current-user")).to_have_text(account.full_name)
    _assert_navigation(page, required_links, forbidden_links)

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(f"{live_server.url}/login")
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    expect(page.get_by_test_id("current-role")).to_have_count(0)
    page.goto(path)  # the session is really gone: the home page asks to sign in again
    expect(page).to_have_url(re.compile(r"/login\?next="))


def _assert_navigation(page: Page, required: set[str], forbidden: set[str]) -> None:
    """The main menu holds the role's links, none it may not use, and every one opens."""
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(links.first).to_be_visible()
    labels = [text.strip() for text in links.all_inner_texts()]
    assert required <= set(labels), labels
    assert not forbidden & set(labels), labels
    for link in links.all():
        href = link.get_attribute("href")
        response = page.request.get(href)
        assert response.status == 200, f"{link.inner_text()} ({href}) gave {response.status}"


def test_wrong_password_and_unknown_user_get_the_same_message(page: Page, live_server):
    username = live_server.create_user("technician")

    sign_in(page, username, "not the right password")
    expect(page).to_have_url(f"{live_server.url}/login")
    wrong_password = _sign_in_error(page)

    sign_in(page, "nobody-by-this-name", "not the right password")
    expect(page).to_have_url(f"{live_server.url}/login")
    unknown_user = _sign_in_error(page)

    assert wrong_password == unknown_user
    assert "Sign-in failed" in wrong_password
    for text in (wrong_password, page.locator("body").inner_text()):
        assert not re.search(r"unknown|not exist|no such|not found|not registered", text,
                             re.IGNORECASE), text
    expect(page.get_by_test_id("current-role")).to_have_count(0)


def _sign_in_error(page: Page) -> str:
    """The text of the single error shown after a refused sign-in."""
    error = page.locator(".flash-error")
    expect(error).to_have_count(1)
    return error.inner_text().strip()
