"""Harvest and formulation forms take cells in millions (× 10⁶), as every other form does."""

from decimal import Decimal

from labtrack.culture import harvest, plausibility
from labtrack.culture.models import Batch
from labtrack.extensions import db
from tests import builders
from tests.helpers import csrf_token_from, prefilled_time
from tests.integration.bench_forms import text


def _harvest(client, batch, **fields):
    page = client.get(f"/harvest/{batch.batch_number}")
    return client.post(f"/harvest/{batch.batch_number}", data={
        "csrf_token": csrf_token_from(page), **prefilled_time(page, "harvested_at"),
        "method": "automated", **fields})


def test_typing_55_4_at_harvest_records_55_4_million_cells(signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician)
    page = text(client.get(f"/harvest/{batch.batch_number}"))
    assert "Viable cells harvested (× 10⁶)" in page
    response = _harvest(client, batch, viable_cells="55.4", dead_cells="2.1")
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    harvested = db.session.get(Batch, batch.id)
    assert harvested.final_viable_cells == 55_400_000
    assert harvested.final_viability_percent == Decimal("96.35")


def test_the_harvest_page_shows_the_last_count_in_millions(signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician)
    builders.count(batch, 23_860_000, 500_000)
    assert "Last count: 23.86 × 10⁶ viable cells" in text(client.get(
        f"/harvest/{batch.batch_number}"))


def test_a_negative_harvest_count_is_refused_naming_the_field(signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician)
    response = _harvest(client, batch, viable_cells="-5", dead_cells="1")
    assert response.status_code == 400
    assert "Enter cells in millions, from 0 to 100000 (× 10⁶)." in text(response)
    assert db.session.get(Batch, batch.id).final_viable_cells is None


def test_formulation_takes_cells_per_dose_in_millions(signed_in):
    client, technician = signed_in("technician")
    batch = builders.harvested_batch(technician=technician, viable=50_000_000)
    page = client.get(f"/harvest/{batch.batch_number}/formulation")
    assert "Viable cells per dose (× 10⁶)" in text(page)
    response = client.post(f"/harvest/{batch.batch_number}/formulation", data={
        "csrf_token": csrf_token_from(page), **prefilled_time(page, "formulated_at"),
        "volume_ml": "2", "container": "1 mL syringe", "cells_per_dose": "18.5"})
    assert response.status_code == 302, text(response)
    assert {dose.viable_cells for dose in harvest.batch_doses(batch)} == {18_500_000}


def test_a_harvest_far_from_the_last_count_is_recorded_only_with_a_reason(signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician)
    builders.count(batch, 23_860_000, 500_000)
    response = _harvest(client, batch, viable_cells="5.5", dead_cells="0.2")
    assert response.status_code == 400
    assert ("Viable cells harvested: 5.5 × 10⁶ is more than 2 times away from the "
            "23.86 × 10⁶ expected from the counts.") in text(response)
    assert db.session.get(Batch, batch.id).final_viable_cells is None
    response = _harvest(client, batch, viable_cells="5.5", dead_cells="0.2",
                        plausibility_confirmed="y",
                        plausibility_reason="Two flasks lost to a cracked cap; see DEV.")
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).final_viable_cells == 5_500_000
    [exception] = plausibility.plausibility_exceptions(batch)
    assert exception.what == "Harvest count"
    assert exception.reason == "Two flasks lost to a cracked cap; see DEV."


def test_the_formulation_page_links_to_the_harvest_correction(signed_in):
    client, technician = signed_in("technician")
    batch = builders.harvested_batch(technician=technician)
    page = text(client.get(f"/harvest/{batch.batch_number}/formulation"))
    assert f'href="/harvest/{batch.batch_number}/correct"' in page
