"""The batch pages at the bench: counts, steps, protocol windows, amendments, verification,
changes of state and access per role (the Today worklist: test_today_page.py)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from labtrack.accounts.models import Signature
from labtrack.audit.models import AuditEvent
from labtrack.culture import batches
from labtrack.culture import steps as culture
from labtrack.culture.models import CellCount, CultureStep
from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.qms.models import Deviation
from tests import builders
from tests.helpers import PASSWORD, inline_scripts, login
from tests.integration.bench_forms import client_as, local, post, post_count, post_step, rows, text


@pytest.fixture
def bench(signed_in):
    """A signed-in technician and a batch they seeded a week ago."""
    client, technician = signed_in("technician")
    return client, technician, builders.seeded_batch(technician=technician)


# --- Cell counts ----------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"viable_cells": "-1", "dead_cells": "0"}, "viable_cells",
     "Counts cannot be negative or empty."),
    ({"viable_cells": "", "dead_cells": "1"}, "viable_cells",
     "Counts cannot be negative or empty."),
    ({"viable_cells": "10", "dead_cells": "1", "viability_percent": "150"},
     "viability_percent", "Viability must be between 0 and 100 %."),
    ({"viable_cells": "10", "dead_cells": "1", "viability_percent": "-5"},
     "viability_percent", "Viability must be between 0 and 100 %."),
    ({"viable_cells": "10", "total_cells": "5"}, "viable_cells",
     "Viable cells cannot exceed the total."),
    ({"viable_cells": "10", "dead_cells": "10", "viability_percent": "90"},
     "viability_percent", "The viability does not match the live and dead cells."),
    ({"viable_cells": "10", "dead_cells": "1", "counted_at": "+2h"}, "counted_at",
     "A count cannot be in the future: counted at may be at most 5 minutes ahead"),
    ({"viable_cells": "10", "dead_cells": "1", "counted_at": "-10d"}, "counted_at",
     "A count cannot be before the culture was seeded."),
    ({"mode": "chamber", "live_counted": "50", "dead_counted": "5", "dilution": "0.5",
      "volume_ml": "10"}, "dilution", "The dilution factor must be at least 1."),
    ({"mode": "chamber", "live_counted": "50", "dead_counted": "-5", "dilution": "2",
      "volume_ml": "10"}, "dead_counted", "Counts cannot be negative or empty."),
    ({"viable_cells": "NaN", "dead_cells": "1"}, "viable_cells", "Enter a number."),
    ({"viable_cells": "1e30", "dead_cells": "1"}, "viable_cells", "at most 100000"),
])
def test_each_impossible_count_is_refused_on_its_field(bench, fields, field, message):
    client, _, batch = bench
    when = {"+2h": local(timedelta(hours=2)), "-10d": local(timedelta(days=-10))}
    fields = {**fields, "counted_at": when.get(fields.get("counted_at"), local())}
    response = post_count(client, batch, **fields)
    assert response.status_code == 400
    html = text(response)
    assert message in html.replace("&#39;", "'")
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"',
                     html), f"{field} not marked invalid"
    assert rows(CellCount) == 0


def test_a_count_in_totals_or_chamber_counts(bench):
    client, technician, batch = bench
    assert post_count(client, batch, viable_cells="2.5", dead_cells="0.1").status_code == 302
    response = post_count(client, batch, mode="chamber", method="haemocytometer",
                          live_counted="12", dead_counted="1", dilution="2", volume_ml="10")
    assert response.status_code == 302
    first, second = db.session.scalars(select(CellCount).order_by(CellCount.id)).all()
    assert (first.viable_cells, first.dead_cells, first.entered_by_id) == (
        2_500_000, 100_000, technician.id)
    assert (second.viable_cells, second.dead_cells, second.method) == (
        2_400_000, 200_000, "haemocytometer")


def test_an_amendment_keeps_the_original_visible_with_the_reason(bench):
    client, _, batch = bench
    original = builders.count(batch, 5_000_000)
    url = f"/batches/{batch.batch_number}/counts/{original.id}/amend"
    form = text(client.get(url))
    assert 'value="5"' in form  # prefilled in millions
    data = {"counted_at": local(timedelta(minutes=-30)), "method": "automated",
            "mode": "totals", "viable_cells": "0.5", "dead_cells": "0.025"}
    assert post(client, url, data).status_code == 400  # no reason
    assert rows(CellCount) == 1
    assert post(client, url, {**data, "reason": "Typo: one zero too many"}).status_code == 302
    page = text(client.get(f"/batches/{batch.batch_number}"))
    replaced = re.search(rf'<tr id="count-{original.id}".*?</tr>', page, re.S).group(0)
    assert 'data-state="replaced"' in replaced and "<del>5</del>" in replaced
    assert f"<del>P{original.passage_number}</del>" in replaced
    assert replaced.count("<del>") == 5  # time, passage, viable, dead, viability
    fixed = re.search(r'<tr id="count-\d+" data-testid="count-row" data-state="in-force".*?</tr>',
                      page, re.S).group(0)
    assert "<del>" not in fixed and "0.5" in fixed
    assert "Corrects the count above</strong>: Typo: one zero too many" in page
    assert "0.5 × 10⁶ of 40 × 10⁶ viable cells" in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.record_type == "cell_count",
                                                        AuditEvent.action == "create")
                               .order_by(AuditEvent.seq.desc())).first()
    assert event.reason == "Typo: one zero too many"
    again = post(client, url, {**data, "reason": "again"})
    assert "already corrected" in text(again)


def test_withdrawing_a_count_needs_a_reason_and_a_confirmation(bench):
    client, _, batch = bench
    count = builders.count(batch, 3_000_000)
    url = f"/batches/{batch.batch_number}/counts/{count.id}/void"
    assert post(client, url, {"reason": "Wrong batch"}).status_code == 400
    assert post(client, url, {"reason": "Wrong batch", "confirm": "y"}).status_code == 302
    page = text(client.get(f"/batches/{batch.batch_number}"))
    assert "<strong>Withdrawn</strong>: Wrong batch" in page
    assert "No cell count yet. Target" in page  # nothing in force
    withdrawal = db.session.scalar(select(CellCount).where(CellCount.is_void.is_(True)))
    revived = post(client, f"/batches/{batch.batch_number}/counts/{withdrawal.id}/amend", {
        "counted_at": local(), "method": "automated", "mode": "totals", "viable_cells": "3",
        "dead_cells": "0.1", "reason": "Undo"})
    assert "A withdrawn count cannot be corrected; log a new count." in text(revived)


# --- Culture steps and the protocol ---------------------------------------------------------

@pytest.mark.parametrize("kind", ["isolation", "seeding", "non_adherent_removal",
                                  "medium_change", "observation", "passage"])
def test_every_step_form_opens(bench, kind):
    client, _, batch = bench
    response = client.get(f"/batches/{batch.batch_number}/steps/new/{kind}")
    assert response.status_code == 200
    assert not inline_scripts(text(response)) and "style=" not in text(response)


def test_an_unknown_step_or_batch_is_404(bench):
    client, _, batch = bench
    assert client.get(f"/batches/{batch.batch_number}/steps/new/dance").status_code == 404
    assert client.get("/batches/NOPE-1").status_code == 404
    assert client.get(f"/batches/{batch.batch_number}/state/flying").status_code == 404


def test_an_observation_records_confluence_and_contamination(signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=1)
    missing = post_step(client, batch, "observation", confluence_percent="40")
    assert missing.status_code == 400
    assert "This field is required for this step." in text(missing)
    too_high = post_step(client, batch, "observation", confluence_percent="140",
                         contamination_signs="no")
    assert "Confluence must be between 0 and 100 %." in text(too_high)
    assert rows(CultureStep) == 2  # isolation and seeding only
    done = post_step(client, batch, "observation", confluence_percent="40",
                     contamination_signs="yes", morphology="Turbid medium")
    assert done.status_code == 302
    step = db.session.scalar(select(CultureStep).where(CultureStep.kind == "observation"))
    assert (step.confluence_percent, step.contamination_signs) == (40, True)
    page = text(client.get(done.headers["Location"]))
    assert "Signs of contamination recorded: put the batch on hold" in page


def test_a_passage_needs_flasks_cells_and_split(bench):
    client, _, batch = bench
    refused = post_step(client, batch, "passage", confluence_percent="75", flasks="12")
    assert refused.status_code == 400
    done = post_step(client, batch, "passage", confluence_percent="75", flasks="12",
                     cells="3.5", split_ratio="1:3", surface_cm2="2100")
    assert done.status_code == 302
    step = db.session.scalar(select(CultureStep).where(CultureStep.kind == "passage"))
    assert (step.cells, step.passage_number, step.split_ratio) == (3_500_000, 1, "1:3")


def test_a_step_outside_its_window_asks_for_a_deviation(bench):
    client, technician, batch = bench
    url = f"/batches/{batch.batch_number}/steps/new/non_adherent_removal"
    assert "Recording it now needs a deviation." in text(client.get(url))
    refused = post_step(client, batch, "non_adherent_removal")
    assert refused.status_code == 400
    assert re.search(r"Removal of non-adherent cells on culture day \d+ is after its protocol "
                     r"window \(days 2–3\)\. Describe the deviation to record this step\.",
                     text(refused))
    unexplained = post_step(client, batch, "non_adherent_removal", deviation_acknowledged="y")
    assert "Describe the deviation." in text(unexplained)
    assert rows(Deviation) == 0 and rows(CultureStep) == 2
    done = post_step(client, batch, "non_adherent_removal", deviation_acknowledged="y",
                     deviation="Cabinet out of service on days 2-3")
    assert done.status_code == 302
    step = db.session.scalar(select(CultureStep).where(
        CultureStep.kind == "non_adherent_removal"))
    deviation = db.session.get(Deviation, step.deviation_id)
    assert (deviation.kind, deviation.severity, deviation.status) == (
        culture.WINDOW_DEVIATION_KIND, "minor", "open")
    assert deviation.title == "Removal of non-adherent cells outside its protocol window"
    assert deviation.number.startswith("DEV") and deviation.batch_id == batch.id
    assert deviation.opened_by_id == technician.id
    assert "Cabinet out of service on days 2-3" in deviation.description
    assert deviation.number in text(client.get(f"/batches/{batch.batch_number}"))


def test_a_step_inside_its_window_needs_no_deviation(signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=2)
    response = post_step(client, batch, "non_adherent_removal", deviation_acknowledged="y",
                         deviation="Not needed")
    assert response.status_code == 302
    assert rows(Deviation) == 0


# --- Verification ---------------------------------------------------------------------------

def _verify_url(batch, step):
    return f"/batches/{batch.batch_number}/steps/{step.id}/verify"


def test_a_second_person_verifies_a_step_with_a_signature(bench, app):
    client, technician, batch = bench
    step = builders.step(batch, "medium_change", technician)
    own = client.get(_verify_url(batch, step))
    assert "You performed this step: another person must verify it." in text(own)
    checker_client, checker = client_as(app, "technician")
    form = text(checker_client.get(_verify_url(batch, step)))
    assert "Verified" in form and 'name="sign_password"' in form
    response = post(checker_client, _verify_url(batch, step), {
        "sign_username": checker.username, "sign_password": PASSWORD, "sign_confirm": "y"})
    assert response.status_code == 302
    db.session.refresh(step)
    assert step.verified_by_id == checker.id
    page = text(checker_client.get(f"/batches/{batch.batch_number}"))
    assert f"<strong>{checker.full_name}</strong>" in page


def test_a_wrong_password_verifies_nothing(bench, app):
    _, technician, batch = bench
    step = builders.step(batch, "medium_change", technician)
    checker_client, checker = client_as(app, "qa")
    response = post(checker_client, _verify_url(batch, step), {
        "sign_username": checker.username, "sign_password": "wrong", "sign_confirm": "y"})
    assert response.status_code == 400
    assert "Wrong password: nothing was signed." in text(response)
    db.session.refresh(step)
    assert step.verified_by_id is None and rows(Signature) == 0


def test_the_performer_cannot_verify_even_by_posting(bench):
    client, technician, batch = bench
    step = builders.step(batch, "medium_change", technician)
    response = post(client, _verify_url(batch, step), {
        "sign_username": technician.username, "sign_password": PASSWORD, "sign_confirm": "y"})
    assert "The person who performed a step cannot verify it." in text(response)
    assert rows(Signature) == 0


# --- Changes of state -----------------------------------------------------------------------

def _state(client, batch, target, **data):
    url = f"/batches/{batch.batch_number}/state/{target}"
    return post(client, url, data)


def test_the_lifecycle_refusals_are_shown_plainly(bench, app):
    client, _, batch = bench
    refused = _state(client, batch, "terminated", reason="Contamination", confirm="y")
    assert refused.status_code == 400
    assert "Your role may not move a batch from In culture to Terminated." in text(refused)
    assert _state(client, batch, "on_hold", reason="").status_code == 400
    held = _state(client, batch, "on_hold", reason="Turbid medium in flask 2")
    assert held.status_code == 302
    db.session.refresh(batch)
    assert (batch.state, batch.held_from) == ("on_hold", "in_culture")
    resume = _state(client, batch, "in_culture", reason="Looks fine")
    assert "Your role may not move a batch from On hold to In culture." in text(resume)

    qa_client, _ = client_as(app, "qa")
    page = text(qa_client.get(f"/batches/{batch.batch_number}"))
    assert "Lift the hold (back to In culture)" in page and "Terminate" in page
    unconfirmed = _state(qa_client, batch, "terminated", reason="Bacteria confirmed")
    assert "Tick the box to confirm." in text(unconfirmed)
    done = _state(qa_client, batch, "terminated", reason="Bacteria confirmed", confirm="y")
    assert done.status_code == 302
    db.session.refresh(batch)
    assert (batch.state, batch.state_reason) == ("terminated", "Bacteria confirmed")
    final = _state(qa_client, batch, "on_hold", reason="Again")
    assert "A batch that is Terminated can no longer change state." in text(final)
    record = text(qa_client.get(f"/batches/{batch.batch_number}"))
    assert "Reason for the state: Bacteria confirmed" in record
    assert post_step(client, batch, "medium_change").status_code == 400


def test_the_harvest_is_not_a_plain_change_of_state(bench):
    client, _, batch = bench
    response = _state(client, batch, "harvested", reason="Done")
    assert "use its own step" in text(response)
    db.session.refresh(batch)
    assert batch.state == "in_culture"


# --- Access ---------------------------------------------------------------------------------

def test_who_reads_and_who_writes(app):
    clinician = builders.user("clinician")
    batch = builders.seeded_batch(builders.order(clinician))
    other = builders.seeded_batch()
    count = builders.count(batch, 1_000_000)
    detail = f"/batches/{batch.batch_number}"
    writes = [f"{detail}/steps/new/medium_change", f"{detail}/counts/new",
              f"{detail}/counts/{count.id}/amend", f"{detail}/counts/{count.id}/void"]

    treating = app.test_client()
    login(treating, clinician.username)
    assert treating.get(detail).status_code == 200
    assert "Log a cell count" not in text(treating.get(detail))
    assert treating.get(f"/batches/{other.batch_number}").status_code == 403
    listing = text(treating.get("/batches"))
    assert batch.batch_number in listing and other.batch_number not in listing
    for url in [*writes, f"{detail}/state/on_hold"]:
        assert treating.get(url).status_code == 403, url

    qa, _ = client_as(app, "qa")
    assert qa.get(detail).status_code == 200
    for url in writes:
        assert qa.get(url).status_code == 403, url

    admin, _ = client_as(app, "admin")
    for url in ("/batches", detail, *writes):
        assert admin.get(url).status_code == 403, url


def test_the_batch_page_links_only_to_what_the_reader_may_open(app):
    clinician, performer = builders.user("clinician"), builders.user("technician")
    batch = builders.seeded_batch(builders.order(clinician), technician=performer)
    detail = f"/batches/{batch.batch_number}"
    verify, sample = 'data-testid="verify-link"', f'href="/samples/{batch.sample.din}"'
    treating = app.test_client()
    login(treating, clinician.username)
    own = app.test_client()
    login(own, performer.username)
    seen = {name: text(client.get(detail)) for name, client in (
        ("clinician", treating), ("performer", own),
        ("technician", client_as(app, "technician")[0]), ("qa", client_as(app, "qa")[0]))}
    assert [verify in seen[name] for name in seen] == [False, False, True, True]
    assert [sample in seen[name] for name in seen] == [False, True, True, True]
    assert [">History</a>" in seen[name] for name in seen] == [False, False, False, True]
    batches.change_state(builders.user("qa"), batch, "terminated", "Contamination seen")
    db.session.commit()
    assert verify not in text(client_as(app, "qa")[0].get(detail))  # a locked record


# --- The batch page and the list ------------------------------------------------------------

def test_the_batch_page_shows_growth_progress_and_the_timeline(bench):
    client, technician, batch = bench
    builders.count(batch, 2_000_000, counted_at=utcnow() - timedelta(days=4))
    builders.count(batch, 8_000_000, counted_at=utcnow() - timedelta(days=1))
    page = text(client.get(f"/batches/{batch.batch_number}"))
    assert page.count('<circle class="count"') == 2
    assert 'value="20"' in page and "8 × 10⁶ of 40 × 10⁶ viable cells (20 %)" in page
    assert "L4-L5" in page and "4 × 10⁶" in page  # per disc level if harvested now
    assert "Projected to reach the target on" in page
    assert "Day 0" in page and "Seeding" in page and "Mononuclear-cell isolation" in page
    assert not inline_scripts(page) and "style=" not in page


def test_the_batch_list_filters_by_state_and_pages(signed_in, app):
    client, technician = signed_in("technician")
    app.config["PAGE_SIZE"] = 2
    made = [builders.seeded_batch(technician=technician) for _ in range(3)]
    batches.change_state(technician, made[0], "on_hold", "Check")
    db.session.commit()
    assert "Page 1 of 2 (3 in all)" in text(client.get("/batches"))
    held = text(client.get("/batches?state=on_hold"))
    assert made[0].batch_number in held and made[1].batch_number not in held
    assert "No batch matches." in text(client.get("/batches?state=released"))
    assert client.get("/batches?state=nonsense").status_code == 200
