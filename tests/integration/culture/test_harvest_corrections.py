"""The harvest can be corrected before release: an audited amendment with a reason."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from labtrack.audit.models import AuditEvent
from labtrack.culture import counts, harvest
from labtrack.culture.harvest import HarvestData
from labtrack.culture.models import Batch, CellCount, CultureStep
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from tests import builders
from tests.integration.bench_forms import local, post


def _corrected(viable, **fields):
    return HarvestData(harvested_at=utcnow() - timedelta(hours=1), viable_cells=viable,
                       dead_cells=2_000_000, **fields)


def test_a_harvest_is_corrected_by_an_amendment_that_keeps_the_original(app):
    technician = builders.user("technician")
    batch = builders.harvested_batch(technician=technician, viable=50_000_000)
    step = harvest.correct_harvest(technician, batch, _corrected(45_000_000),
                                   "Counter's dilution factor was entered as 1, not 2")
    assert batch.final_viable_cells == 45_000_000
    steps = db.session.scalars(select(CultureStep).where(CultureStep.kind == "harvest")
                               .order_by(CultureStep.id)).all()
    assert [s.cells for s in steps] == [50_000_000, 45_000_000]
    assert step.supersedes_id == steps[0].id and "dilution factor" in step.amendment_reason
    history = counts.count_history(batch)
    assert [(e.count.viable_cells, e.in_force) for e in history][-2:] == [
        (50_000_000, False), (45_000_000, True)]
    reasons = db.session.scalars(select(AuditEvent.reason).where(
        AuditEvent.record_type == "batch")).all()
    assert "Counter's dilution factor was entered as 1, not 2" in reasons


def test_a_correction_needs_a_reason_and_a_batch_not_yet_released(app):
    technician = builders.user("technician")
    batch = builders.harvested_batch(technician=technician)
    with pytest.raises(ServiceError, match="reason"):
        harvest.correct_harvest(technician, batch, _corrected(45_000_000), "  ")
    db.session.rollback()
    released = builders.releasable_batch()
    builders.release(released)
    with pytest.raises(ServiceError, match="is locked"):
        harvest.correct_harvest(technician, released, _corrected(45_000_000), "Typo")


def test_a_corrected_harvest_must_still_hold_the_formulated_doses(app):
    technician = builders.user("technician")
    batch = builders.formulated_batch(technician=technician, viable=50_000_000,
                                      formulated_at=utcnow() - timedelta(minutes=10))
    with pytest.raises(ServiceError, match="more than the corrected harvest"):
        harvest.correct_harvest(technician, batch, _corrected(30_000_000), "Recounted")
    db.session.rollback()
    assert db.session.scalars(select(CellCount).where(CellCount.supersedes_id.is_not(None))
                              ).all() == []
    harvest.correct_harvest(technician, batch, _corrected(48_000_000), "Recounted")
    assert batch.final_viable_cells == 48_000_000 and batch.state == "awaiting_release"


def test_the_harvest_is_corrected_through_its_page_with_a_reason(signed_in):
    client, technician = signed_in("technician")
    batch = builders.harvested_batch(technician=technician, viable=50_000_000)
    url = f"/harvest/{batch.batch_number}/correct"
    page = client.get(url)
    assert "Recorded: 50 × 10⁶ viable cells harvested" in page.get_data(as_text=True)
    refused = post(client, url, {"harvested_at": local(timedelta(hours=-1)),
                                 "method": "automated", "viable_cells": "45.5",
                                 "dead_cells": "2", "reason": ""})
    assert refused.status_code == 400 and batch.final_viable_cells == 50_000_000
    response = post(client, url, {"harvested_at": local(timedelta(hours=-1)),
                                  "method": "automated", "viable_cells": "45.5",
                                  "dead_cells": "2", "reason": "Dilution typed as 1, not 2"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).final_viable_cells == 45_500_000
    page = client.get(f"/batches/{batch.batch_number}").get_data(as_text=True)
    assert "Corrects the entry above</strong>: Dilution typed as 1, not 2" in page
