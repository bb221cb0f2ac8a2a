"""Reagent lots and equipment: registration, QA decisions, calibration, refusals at the
bench, and the recall list of a lot."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from labtrack.audit.models import AuditEvent
from labtrack.culture.models import CultureStep, CultureStepLot
from labtrack.errors import PermissionDenied, ServiceError
from labtrack.extensions import db
from labtrack.inventory import inventory
from labtrack.inventory.inventory import EquipmentData, LotData
from labtrack.inventory.models import Equipment, ReagentLot
from tests import builders
from tests.helpers import lab_today
from tests.integration.bench_forms import client_as, post, post_step, rows, text


def _reasons(record_type, record_id):
    return [event.reason for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.record_type == record_type,
                                 AuditEvent.record_id == str(record_id),
                                 AuditEvent.action == "update"))]


@pytest.mark.parametrize("role", ["technician", "qa"])
def test_lab_staff_register_a_lot_in_quarantine(signed_in, role):
    client, user = signed_in(role)
    response = post(client, "/inventory/lots/new", {
        "material": "α-MEM", "manufacturer": "Gibco", "lot_number": " 2751234 ",
        "expiry_date": (lab_today() + timedelta(days=300)).isoformat()})
    assert response.status_code == 302
    lot = db.session.scalar(select(ReagentLot))
    assert (lot.lot_number, lot.status) == ("2751234", "quarantine")
    page = text(client.get(response.headers["Location"]))
    assert "Quarantine" in page and "No batch has used this lot." in page


def test_a_lot_is_registered_once_per_material(app):
    builders.lot("α-MEM", "A1")
    builders.lot("DPBS", "A1")  # the same number from another material is another lot
    with pytest.raises(ServiceError, match="already registered"):
        builders.lot("α-mem", "a1")


def test_only_qa_releases_or_rejects_and_says_why(signed_in, app):
    lot = builders.lot(released=False)
    client, _ = signed_in("technician")
    refused = post(client, f"/inventory/lots/{lot.id}/decision",
                   {"status": "released", "reason": "Looks fine"}, f"/inventory/lots/{lot.id}")
    assert refused.status_code == 403
    db.session.refresh(lot)
    assert lot.status == "quarantine"

    qa_client, _ = client_as(app, "qa")
    no_reason = post(qa_client, f"/inventory/lots/{lot.id}/decision",
                     {"status": "released", "reason": ""}, f"/inventory/lots/{lot.id}")
    assert no_reason.status_code == 400
    done = post(qa_client, f"/inventory/lots/{lot.id}/decision",
                {"status": "released", "reason": "CoA reviewed"}, f"/inventory/lots/{lot.id}")
    assert done.status_code == 302
    db.session.refresh(lot)
    assert lot.status == "released"
    assert _reasons("reagent_lot", lot.id) == ["CoA reviewed"]


def test_a_rejected_lot_stays_rejected(app):
    lot = builders.lot(released=False)
    qa = builders.user("qa")
    inventory.decide_lot(qa, lot, "rejected", "Damaged in transit")
    with pytest.raises(ServiceError, match="cannot become"):
        inventory.decide_lot(qa, lot, "released", "Changed my mind")
    with pytest.raises(PermissionDenied):
        inventory.register_lot(builders.user("clinician"), LotData("X", "Y", "Z", lab_today()))


def test_equipment_identifiers_are_unique_and_calibration_is_audited(signed_in):
    client, _ = signed_in("technician")
    created = post(client, "/inventory/equipment/new", {
        "identifier": "bsc-01", "kind": "Biosafety cabinet",
        "calibration_due": (lab_today() + timedelta(days=30)).isoformat()})
    assert created.status_code == 302
    again = post(client, "/inventory/equipment/new", {
        "identifier": "BSC-01", "kind": "Biosafety cabinet",
        "calibration_due": lab_today().isoformat()})
    assert "Equipment BSC-01 is already registered." in text(again)
    item = db.session.scalar(select(Equipment))
    page = f"/inventory/equipment/{item.id}"
    new_due = (lab_today() + timedelta(days=365)).isoformat()
    no_reason = post(client, f"{page}/calibration", {"cal-calibration_due": new_due}, page)
    assert no_reason.status_code == 400
    done = post(client, f"{page}/calibration",
                {"cal-calibration_due": new_due, "cal-reason": "Certificate C-2231"}, page)
    assert done.status_code == 302
    db.session.refresh(item)
    assert item.calibration_due.isoformat() == new_due
    assert _reasons("equipment", item.id) == ["Certificate C-2231"]
    out = post(client, f"{page}/service?in_service=0", {"svc-reason": "Fan failure"}, page)
    assert out.status_code == 302
    db.session.refresh(item)
    assert item.in_service is False


def _seeded_and_signed_in(signed_in):
    client, technician = signed_in("technician")
    return client, technician, builders.seeded_batch(technician=technician)


def test_an_expired_lot_is_refused_at_the_bench(signed_in):
    client, _, batch = _seeded_and_signed_in(signed_in)
    expired = builders.lot("Trypsin-EDTA", "EXP-1", expires_in=-1)
    before = rows(CultureStep)
    response = post_step(client, batch, "medium_change", lot_codes="exp-1")
    assert response.status_code == 400
    assert (f"Lot EXP-1 of Trypsin-EDTA expired on {expired.expiry_date.isoformat()}."
            in text(response))
    assert rows(CultureStep) == before


def test_an_unreleased_lot_is_refused_at_the_bench(signed_in):
    client, _, batch = _seeded_and_signed_in(signed_in)
    builders.lot("Platelet lysate", "Q-1", released=False)
    before = rows(CultureStep)
    response = post_step(client, batch, "medium_change", lot_codes="Q-1")
    assert response.status_code == 400
    assert "Lot Q-1 of Platelet lysate is not released (in quarantine)." in text(response)
    assert rows(CultureStep) == before


def test_out_of_calibration_equipment_is_refused_at_the_bench(signed_in):
    client, _, batch = _seeded_and_signed_in(signed_in)
    item = builders.equipment("INC-09", "CO2 incubator", calibration_due_in=-3)
    before = rows(CultureStep)
    response = post_step(client, batch, "medium_change", equipment_codes="inc-09")
    assert response.status_code == 400
    assert (f"INC-09 is out of calibration (due {item.calibration_due.isoformat()})."
            in text(response))
    assert rows(CultureStep) == before


def test_unknown_scanned_codes_are_refused_by_name(signed_in):
    client, _, batch = _seeded_and_signed_in(signed_in)
    response = post_step(client, batch, "medium_change", lot_codes="NOPE-42")
    assert "No reagent lot NOPE-42 is registered." in text(response)
    response = post_step(client, batch, "medium_change", equipment_codes="NOPE-43")
    assert "No equipment NOPE-43 is registered." in text(response)


def test_scanned_and_chosen_materials_are_linked_with_quantities(signed_in):
    client, _, batch = _seeded_and_signed_in(signed_in)
    medium, lysate = builders.lot("α-MEM", "M-1"), builders.lot("Platelet lysate", "P-1")
    cabinet = builders.equipment("BSC-07")
    response = post_step(client, batch, "medium_change", lot_ids=[str(medium.id)],
                         lot_codes="P-1;5 mL\nM-1", equipment_codes="bsc-07")
    assert response.status_code == 302, text(response)
    step = db.session.scalar(select(CultureStep).where(CultureStep.kind == "medium_change"))
    used = {link.reagent_lot_id: link.quantity for link in step.lots}
    assert used == {medium.id: None, lysate.id: "5 mL"}
    assert [link.equipment_id for link in step.equipment] == [cabinet.id]
    shown = text(client.get(f"/batches/{batch.batch_number}"))
    step_html = shown[shown.index(f'id="step-{step.id}"'):]
    step_html = step_html[:step_html.index("</li>")]
    assert f'<a href="/inventory/lots/{medium.id}">α-MEM M-1</a>' in step_html
    assert f'<a href="/inventory/lots/{lysate.id}">Platelet lysate P-1</a> (5 mL)' in step_html
    assert f'<a href="/inventory/equipment/{cabinet.id}">BSC-07</a>' in step_html


def test_the_recall_list_names_every_batch_that_used_a_lot(signed_in, app):
    client, technician = signed_in("technician")
    medium = builders.lot("α-MEM", "RECALL-1")
    used_in = [builders.seeded_batch(technician=technician) for _ in range(2)]
    untouched = builders.seeded_batch(technician=technician)
    for batch in used_in:
        builders.step(batch, "medium_change", technician, lots=[(medium.id, "50 mL")])
    assert rows(CultureStepLot) == 2
    qa_client, _ = client_as(app, "qa")
    page = text(qa_client.get(f"/inventory/lots/{medium.id}"))
    for batch in used_in:
        assert f'href="/batches/{batch.batch_number}"' in page
    assert untouched.batch_number not in page
    assert "2 batches used this lot." in page and "(50 mL)" in page


def test_lists_are_paginated_and_filtered(signed_in, app):
    client, _ = signed_in("technician")
    app.config["PAGE_SIZE"] = 2
    for number in ("L-1", "L-2", "L-3"):
        builders.lot("DPBS", number)
    builders.lot("DPBS", "L-Q", released=False)
    first = text(client.get("/inventory/lots"))
    assert "Page 1 of 2 (4 in all)" in first
    quarantined = text(client.get("/inventory/lots?status=quarantine"))
    assert "L-Q" in quarantined and "L-1" not in quarantined
    assert "No lot matches." in text(client.get("/inventory/lots?q=nothing-like-it"))
    assert client.get("/inventory/lots?status=bogus&page=x").status_code == 200


@pytest.mark.parametrize("role", ["clinician", "admin"])
def test_inventory_is_for_lab_and_qa_staff(signed_in, role):
    client, _ = signed_in(role)
    lot, item = builders.lot(), builders.equipment()
    for url in ("/inventory/lots", "/inventory/lots/new", f"/inventory/lots/{lot.id}",
                "/inventory/equipment", f"/inventory/equipment/{item.id}"):
        assert client.get(url).status_code == 403, url


def test_registering_needs_the_required_fields(app):
    technician = builders.user("technician")
    with pytest.raises(ServiceError, match="expiry"):
        inventory.register_lot(technician, LotData("DPBS", "Gibco", "X1", None))
    with pytest.raises(ServiceError, match="required"):
        inventory.register_equipment(technician, EquipmentData(" ", "Cabinet", lab_today()))
