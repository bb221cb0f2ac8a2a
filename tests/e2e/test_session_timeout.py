"""Journey: a technician types a count, walks away past the idle timeout, and submits;
after signing in again the form comes back with the values typed, and one submit records
the count once (issue 16: typed values survive an idle timeout)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, update

from labtrack.accounts.models import User, UserSession
from labtrack.culture.models import Batch, CellCount
from labtrack.database import utcnow
from labtrack.extensions import db
from tests.e2e.conftest import expect, sign_in
from tests.helpers import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def _walk_away(app, username: str) -> None:
    """The session's last use moves back past the idle timeout (as if the bench was left)."""
    idle = timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"] + 1)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        db.session.execute(update(UserSession).where(UserSession.user_id == user_id)
                           .values(last_seen_at=utcnow() - idle))
        db.session.commit()
        db.session.remove()


def _counts_of(app, batch_number: str, viable: int) -> int:
    with app.app_context():
        found = db.session.scalars(select(CellCount).join(Batch, Batch.id == CellCount.batch_id)
                                   .where(Batch.batch_number == batch_number,
                                          CellCount.viable_cells == viable)).all()
        db.session.remove()
        return len(found)


def test_a_count_typed_before_the_idle_timeout_survives_sign_in(page: Page, live_server):
    username = live_server.create_user("technician")
    sign_in(page, username, PASSWORD)
    batch_number = page.get_by_test_id("worklist-batch").first.get_attribute("data-batch")
    page.goto(f"/batches/{batch_number}/counts/new")
    page.get_by_label("Automated counter").check()
    page.locator("#viable_cells").fill("3.7")
    page.locator("#dead_cells").fill("0.21")

    _walk_away(live_server.app, username)
    page.get_by_test_id("save-count").click()

    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_test_id("flash-warning")).to_contain_text("expired after a period of "
                                                                 "inactivity")
    expect(page.get_by_test_id("flash-info")).to_contain_text("What you typed was kept")
    assert _counts_of(live_server.app, batch_number, 3_700_000) == 0
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/batches/{batch_number}/counts/new$"))
    expect(page.get_by_test_id("kept-form")).to_be_visible()
    expect(page.locator("#viable_cells")).to_have_value("3.7")
    expect(page.locator("#dead_cells")).to_have_value("0.21")
    expect(page.get_by_label("Automated counter")).to_be_checked()
    page.get_by_test_id("save-count").click()

    expect(page.get_by_test_id("flash-success")).to_contain_text("Count recorded.")
    assert _counts_of(live_server.app, batch_number, 3_700_000) == 1
    page.reload()  # shown once: the kept values are gone
    expect(page.get_by_test_id("kept-form")).to_have_count(0)
