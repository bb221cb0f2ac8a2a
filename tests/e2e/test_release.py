"""Journey: QA reviews a batch that cannot be released (fixing nothing), then releases a
compliant one with an electronic signature and downloads its release record."""

from __future__ import annotations

import re

import pytest

from labtrack.audit.capture import SYSTEM, set_actor
from labtrack.culture import batches
from labtrack.demo.seed import DEMO_ACCOUNTS
from labtrack.extensions import db
from labtrack.quality.models import Release
from tests import builders
from tests.e2e.conftest import expect, sign_in

pytestmark = pytest.mark.e2e
QA = next(account for account in DEMO_ACCOUNTS if account.username == "qa")


def _build(live_server, **options) -> str:
    """A batch awaiting release, made through the services; its number."""
    with live_server.app.app_context():
        set_actor(db.session, SYSTEM)
        number = builders.releasable_batch(**options).batch_number
        db.session.remove()
    return number


def _stored_record(live_server, number: str) -> bytes:
    with live_server.app.app_context():
        batch = batches.find_batch(number)
        record = db.session.query(Release).filter_by(batch_id=batch.id).one().record_pdf
        db.session.remove()
    return record


def test_qa_sees_what_blocks_one_batch_then_releases_another_and_downloads_its_record(
        page, live_server, tmp_path):
    blocked = _build(live_server, skip=("mycoplasma",))
    compliant = _build(live_server)

    sign_in(page, QA.username, QA.password)
    expect(page.get_by_test_id("home-title")).to_have_text("Review queue")
    queue = page.get_by_test_id("awaiting-release")
    expect(queue.get_by_role("link", name=blocked)).to_be_visible()

    queue.get_by_role("link", name=blocked).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(blocked)
    blocking = page.get_by_test_id("blocking-item")
    expect(blocking).to_have_count(1)
    expect(blocking).to_have_text("Mycoplasma has no result yet.")
    expect(page.get_by_role("link", name="Release…")).to_have_count(0)

    page.get_by_role("link", name="Review queue").first.click()
    page.get_by_test_id("awaiting-release").get_by_role("link", name=compliant).click()
    expect(page.get_by_test_id("releasable")).to_contain_text("Every release requirement is met")
    expect(page.get_by_test_id("checklist-item").filter(has_text="took no part")).to_be_visible()
    page.get_by_role("link", name="Release…").click()

    expect(page.get_by_test_id("signature-meaning")).to_have_text("Released for clinical use")
    page.get_by_label("User name").fill(QA.username)
    page.get_by_label("Password", exact=True).fill(QA.password)
    page.get_by_label(re.compile("I confirm this electronic signature")).check()
    page.get_by_test_id("decide").click()

    expect(page.get_by_test_id("flash-success")).to_contain_text(
        f"Batch {compliant} released for clinical use")
    decision = page.get_by_test_id("decision")
    expect(decision).to_contain_text("Released for clinical use")
    expect(decision.get_by_test_id("signature")).to_contain_text("Carmen Navarro")
    with page.expect_download() as download_info:
        page.get_by_test_id("record-link").click()
    download = download_info.value
    assert download.suggested_filename == f"BRR-{compliant}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes() == _stored_record(live_server, compliant)
