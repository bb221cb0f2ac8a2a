"""The formulation can be corrected before release: an audited amendment with a reason.

The doses formulated first stay, marked replaced by the correction; new doses with new
product codes are the current ones; an old label is refused at the bedside.
"""

from decimal import Decimal
from html import unescape

import pytest
from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from labtrack.audit.models import AuditEvent
from labtrack.clinic import administration
from labtrack.clinic.administration import AdministrationRefused
from labtrack.culture import formulation_corrections, harvest
from labtrack.culture.dose_models import Dose, FormulationCorrection
from labtrack.culture.harvest import FormulationData
from labtrack.culture.models import CultureStep
from labtrack.database import not_superseded, utcnow
from labtrack.errors import PermissionDenied, ServiceError
from labtrack.extensions import db
from labtrack.identity.models import ChainOfIdentityEvent
from labtrack.identity.rules.isbt128 import parse_din, product_code_data
from labtrack.web.templating import lab_zone
from tests import builders
from tests.helpers import login
from tests.integration.bench_forms import lab_time_at, post
from tests.integration.clinic.test_bedside_labels import scan
from tests.integration.quality.test_release_record_pdf import pages_text

REASON = "Volume drawn up as 2 mL; the protocol's syringe holds 1.5 mL"


def _data(batch, **changes) -> FormulationData:
    """The batch's formulation as recorded, with ``changes``."""
    dose = harvest.batch_doses(batch)[0]
    fields = {"formulated_at": dose.formulated_at, "volume_ml": dose.volume_ml,
              "container": dose.container, "cells_per_dose": dose.viable_cells}
    return FormulationData(**{**fields, **changes})


def _correct(acting, batch, why=REASON, **changes):
    return formulation_corrections.correct_formulation(
        acting, batch, _data(batch, **changes), why, current_app.config["DOSE_SHELF_LIFE_HOURS"])


def _all_doses(batch) -> list[Dose]:
    return list(db.session.scalars(select(Dose).where(Dose.batch_id == batch.id)
                                   .order_by(Dose.id)))


def test_a_correction_keeps_the_old_doses_marked_and_makes_new_current_ones(app):
    technician = builders.user("technician", full_name="Lucía Romero")
    batch = builders.formulated_batch(technician=technician)
    old = {dose.disc_level: (dose.id, dose.dose_code, dose.product_code)
           for dose in harvest.batch_doses(batch)}
    correction = _correct(technician, batch, volume_ml=Decimal("1.50"))

    doses = _all_doses(batch)
    assert len(doses) == 4
    replaced = [d for d in doses if not d.is_current]
    assert [d.id for d in replaced] == sorted(ident for ident, _c, _p in old.values())
    assert all(d.superseded_by_id == correction.id and d.volume_ml == Decimal("2.00")
               for d in replaced)
    assert (correction.reason, correction.corrected_by_id) == (REASON, technician.id)
    current = harvest.batch_doses(batch)
    assert [(d.disc_level, d.volume_ml) for d in current] == [
        ("L4-L5", Decimal("1.50")), ("L5-S1", Decimal("1.50"))]
    for dose in current:  # a new identity: an old label can never name a current dose
        _ident, code, product_code = old[dose.disc_level]
        assert dose.dose_code == f"{code}-R1" and dose.product_code != product_code
    assert [d.product_code[-2:] for d in current] == ["C0", "D0"]
    assert batch.state == "awaiting_release"

    marked = db.session.scalars(select(AuditEvent.reason).where(
        AuditEvent.record_type == "dose", AuditEvent.action == "update")).all()
    assert marked == [REASON, REASON]
    assert db.session.scalar(select(AuditEvent.reason).where(
        AuditEvent.record_type == "formulation_correction")) == REASON
    step = db.session.scalars(select(CultureStep).where(
        CultureStep.kind == "formulation", not_superseded(CultureStep))).one()
    assert step.supersedes_id is not None and step.amendment_reason == REASON
    assert step.verified_by_id is None  # the corrected step is verified again before release


def test_a_correction_needs_a_reason_and_a_change(app):
    technician = builders.user("technician")
    batch = builders.formulated_batch(technician=technician)
    with pytest.raises(ServiceError, match="reason is required"):
        _correct(technician, batch, why="   ", volume_ml=Decimal("1.50"))
    db.session.rollback()
    with pytest.raises(ServiceError, match="changes nothing"):
        _correct(technician, batch)
    db.session.rollback()
    assert db.session.scalars(select(FormulationCorrection)).all() == []
    assert all(dose.is_current for dose in _all_doses(batch))


def test_only_a_technician_corrects_and_only_before_release(app):
    batch = builders.releasable_batch()
    for role in ("qa", "clinician", "admin"):
        with pytest.raises(PermissionDenied):
            _correct(builders.user(role), batch, volume_ml=Decimal("1.50"))
        db.session.rollback()
    builders.release(batch)
    with pytest.raises(ServiceError, match="is locked"):
        _correct(builders.user("technician"), batch, volume_ml=Decimal("1.50"))
    db.session.rollback()
    harvested = builders.harvested_batch()
    with pytest.raises(ServiceError, match="not yet released can be corrected"):
        formulation_corrections.correct_formulation(
            builders.user("technician"), harvested, FormulationData(
                formulated_at=utcnow(), volume_ml=Decimal("1"), container="Syringe"), REASON, 48)
    assert db.session.scalars(select(FormulationCorrection)).all() == []


def test_the_corrected_formulation_is_verified_again_before_release(app):
    batch = builders.releasable_batch()  # every critical step verified, the first formulation too
    _correct(builders.user("technician"), batch, volume_ml=Decimal("1.50"))
    with pytest.raises(ServiceError, match="Formulation performed at .* has not been verified"):
        builders.release(batch)
    db.session.rollback()
    builders.verify_critical_steps(batch)
    assert builders.release(batch).decision == "released"


def _released_after_correction(clinician):
    batch = builders.releasable_batch(builders.order(clinician))
    old = {d.disc_level: d for d in harvest.batch_doses(batch)}
    _correct(builders.user("technician"), batch, volume_ml=Decimal("1.50"))
    builders.verify_critical_steps(batch)  # the corrected formulation step
    builders.release(batch)
    return batch, old


def test_an_old_label_is_refused_at_the_bedside_and_the_new_one_accepted(app):
    clinician = builders.user("clinician")
    batch, old = _released_after_correction(clinician)
    wristband = batch.order.patient.record_number
    din = parse_din(batch.sample.din).barcode_data
    for scans in (old["L4-L5"].dose_code, [din, product_code_data(old["L4-L5"].product_code)]):
        with pytest.raises(AdministrationRefused, match="SUPERSEDED") as refused:
            administration.record_administration(clinician, wristband, scans, "L4-L5")
        assert refused.value.code == "superseded_dose"
        assert REASON in str(refused.value) and f"{old['L4-L5'].dose_code}-R1" in str(
            refused.value)
    events = db.session.scalars(select(ChainOfIdentityEvent).where(
        ChainOfIdentityEvent.kind == "administration_superseded_dose")).all()
    assert [e.dose_id for e in events] == [old["L4-L5"].id] * 2
    for dose in harvest.batch_doses(batch):  # the current doses are given; the batch ends
        administration.record_administration(
            clinician, wristband, [din, product_code_data(dose.product_code)], dose.disc_level)
    db.session.refresh(batch)
    assert batch.state == "completed"


def test_the_old_labels_2d_code_is_refused_on_the_bedside_page(client, app):
    clinician = builders.user("clinician")
    batch, old = _released_after_correction(clinician)
    settings = harvest.LabelSettings.from_config(current_app.config, lab_zone())
    printed = harvest.dose_label_data(batch, old["L5-S1"], settings).compound
    login(client, clinician.username)
    page = scan(client, batch, "L5-S1", printed)
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 422 and "SUPERSEDED" in html and "its label is void" in html
    assert 'data-testid="verified"' not in html


def test_the_database_keeps_corrections_and_one_current_dose_per_level(app):
    technician = builders.user("technician")
    batch = builders.formulated_batch(technician=technician)
    correction = _correct(technician, batch, volume_ml=Decimal("1.50"))
    for statement in (f"UPDATE formulation_correction SET reason = 'x' WHERE id = {correction.id}",
                      f"DELETE FROM formulation_correction WHERE id = {correction.id}",
                      f"DELETE FROM dose WHERE batch_id = {batch.id}"):
        with pytest.raises(DBAPIError, match="never"):
            db.session.execute(text(statement))
        db.session.rollback()
    replaced = next(d for d in _all_doses(batch) if not d.is_current)
    with pytest.raises(DBAPIError):  # two current doses for one disc level
        db.session.execute(text(f"UPDATE dose SET superseded_by_id = NULL "
                                f"WHERE id = {replaced.id}"))
    db.session.rollback()


def test_the_formulation_is_corrected_through_its_page_and_shown_to_qa(signed_in):
    client, technician = signed_in("technician")
    batch = builders.formulated_batch(technician=technician)
    url = f"/harvest/{batch.batch_number}/formulation/correct"
    page = client.get(f"/harvest/{batch.batch_number}/formulation").get_data(as_text=True)
    assert f'href="{url}"' in page
    dose = harvest.batch_doses(batch)[0]
    fields = {"formulated_at": lab_time_at(dose.formulated_at), "cells_per_dose": "12.5",
              "volume_ml": "1.50", "container": dose.container}
    refused = post(client, url, {**fields, "reason": ""})
    assert refused.status_code == 400 and db.session.scalars(
        select(FormulationCorrection)).all() == []
    response = post(client, url, {**fields, "reason": REASON})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert [d.viable_cells for d in harvest.batch_doses(batch)] == [12_500_000] * 2
    shown = unescape(client.get(f"/harvest/{batch.batch_number}/formulation")
                     .get_data(as_text=True))
    assert REASON in shown and f"{dose.dose_code}-R1" in shown

    qa_client = current_app.test_client()
    login(qa_client, builders.user("qa").username)
    review = unescape(qa_client.get(f"/quality/batches/{batch.batch_number}")
                      .get_data(as_text=True))
    assert "Formulation corrected on" in review and REASON in review
    assert qa_client.get(url).status_code == 403


def test_the_release_record_lists_the_current_doses_and_the_correction(app):
    batch = builders.releasable_batch()
    old_codes = [d.dose_code for d in harvest.batch_doses(batch)]
    _correct(builders.user("technician"), batch, volume_ml=Decimal("1.50"))
    builders.verify_critical_steps(batch)
    record = "\n".join(pages_text(builders.release(batch).record_pdf))
    flat = " ".join(record.split())
    assert "Formulation corrected on" in flat and REASON in flat
    for code in old_codes:
        assert f"{code}-R1" in flat
    assert "1.50 mL" in flat or "1.5 mL" in flat
