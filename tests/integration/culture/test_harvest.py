"""Harvest, formulation into one dose per disc level, and dose labels."""

import io
import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from labtrack.audit.models import AuditEvent
from labtrack.culture import counts, harvest
from labtrack.culture.harvest import FormulationData, HarvestData, LabelSettings
from labtrack.culture.models import CultureStep
from labtrack.database import utcnow
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.web.templating import lab_zone
from tests import builders


def _formulation(**fields):
    values = {"formulated_at": utcnow() - timedelta(minutes=10), "volume_ml": Decimal("2"),
              "container": "1 mL syringe", **fields}
    return FormulationData(**values)


def test_harvest_records_the_final_count_a_step_and_the_state(app):
    technician = builders.user("technician")
    batch = builders.harvested_batch(technician=technician, viable=48_000_000, dead=2_000_000)
    assert batch.state == "harvested"
    assert batch.final_viable_cells == 48_000_000
    assert batch.final_viability_percent == Decimal("96.00")
    step = db.session.scalar(select(CultureStep).where(CultureStep.kind == "harvest"))
    assert step.performed_by_id == technician.id and step.cells == 48_000_000
    assert batch.harvested_at == step.performed_at
    assert counts.current_counts(batch)[-1].viable_cells == 48_000_000


def test_harvest_is_refused_outside_culture_or_for_other_roles(app):
    batch = builders.seeded_batch()
    data = HarvestData(harvested_at=utcnow(), viable_cells=1, dead_cells=0)
    with pytest.raises(ServiceError, match="technician"):
        harvest.harvest(builders.user("qa"), batch, data, lab_zone())
    db.session.rollback()
    with pytest.raises(ServiceError, match="before the culture was seeded"):
        harvest.harvest(builders.user("technician"), batch, HarvestData(
            harvested_at=batch.seeded_at - timedelta(hours=1), viable_cells=1, dead_cells=0),
            lab_zone())
    db.session.rollback()
    harvest.harvest(builders.user("technician"), batch, data, lab_zone())
    with pytest.raises(ServiceError, match="Only a batch in culture"):
        harvest.harvest(builders.user("technician"), batch, data, lab_zone())


def test_formulation_makes_one_dose_per_level_with_the_configured_shelf_life(app):
    app.config["DOSE_SHELF_LIFE_HOURS"] = 24
    order = builders.order(levels=("L3-L4", "L4-L5", "L5-S1"))
    batch = builders.harvested_batch(order, viable=70_000_000)
    at = utcnow() - timedelta(minutes=10)
    doses = harvest.formulate(builders.user("technician"), batch, _formulation(formulated_at=at),
                              lab_zone(), 24)
    assert [d.disc_level for d in doses] == ["L3-L4", "L4-L5", "L5-S1"]
    assert [d.dose_code for d in doses] == [f"{batch.batch_number}-{code}"
                                           for code in ("L3L4", "L4L5", "L5S1")]
    assert {d.viable_cells for d in doses} == {20_000_000}
    assert all(d.expires_at == at + timedelta(hours=24) for d in doses)
    assert all(d.volume_ml == Decimal("2") and d.container == "1 mL syringe" for d in doses)
    assert batch.state == "awaiting_release"
    assert harvest.batch_doses(batch) == doses


def test_a_short_harvest_is_shared_equally_and_more_than_harvested_is_refused(app):
    batch = builders.harvested_batch(viable=30_000_000)
    technician = builders.user("technician")
    with pytest.raises(ServiceError, match="need more than"):
        harvest.formulate(technician, batch, _formulation(cells_per_dose=20_000_000),
                          lab_zone(), 24)
    db.session.rollback()
    doses = harvest.formulate(technician, batch, _formulation(), lab_zone(), 24)
    assert {d.viable_cells for d in doses} == {15_000_000}


@pytest.mark.parametrize(("fields", "message"), [
    ({"volume_ml": Decimal("0")}, "volume"),
    ({"volume_ml": Decimal("25")}, "volume"),
    ({"container": " "}, "container"),
    ({"formulated_at": utcnow() - timedelta(days=3)}, "before the harvest"),
    ({"formulated_at": utcnow() + timedelta(hours=1)}, "future"),
])
def test_bad_formulations_are_refused(app, fields, message):
    batch = builders.harvested_batch()
    with pytest.raises(ServiceError, match=message):
        harvest.formulate(builders.user("technician"), batch, _formulation(**fields),
                          lab_zone(), 24)


def test_only_a_harvested_batch_is_formulated(app):
    batch = builders.seeded_batch()
    with pytest.raises(ServiceError, match="Only a harvested batch"):
        harvest.formulate(builders.user("technician"), batch, _formulation(), lab_zone(), 24)


def test_dose_labels_carry_product_code_level_cells_expiry_and_storage(app):
    batch = builders.formulated_batch()
    settings = replace(LabelSettings.from_config(app.config, lab_zone()),
                       storage="Store at 2–8 °C.")
    pdf = harvest.dose_labels(builders.user("technician"), batch, settings)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2
    text = pages[0].extract_text()
    dose = harvest.batch_doses(batch)[0]
    local = dose.expires_at.astimezone(lab_zone())
    assert re.search(r"20 × 10\s*6\s*viable cells in 2 mL", text)  # 10⁶, the 6 raised
    for expected in ("S1234 1 A0", "L4-L5", batch.batch_number,
                     f"{local:%Y-%m-%d %H:%M} {local.tzname()}", "Store at 2–8 °C.",
                     batch.order.patient.record_number):
        assert expected in text, expected
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "print_label")).one()
    assert '"label":"dose"' in event.changes
    with pytest.raises(ServiceError, match="lab or QA"):
        harvest.dose_labels(builders.user("clinician"), batch, settings)
