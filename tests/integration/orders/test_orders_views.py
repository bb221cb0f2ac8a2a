"""Patients and treatment orders through the web forms; who may see and change them."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from labtrack.audit.models import AuditEvent
from labtrack.clock import NonexistentLocalTime, lab_local_to_utc
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.orders import orders
from labtrack.orders.forms import cells_from_millions, millions_from_cells
from labtrack.orders.models import Patient, TreatmentOrder
from labtrack.orders.orders import OrderData
from labtrack.web.templating import cells_in_millions, lab_zone
from tests import builders
from tests.helpers import csrf_token_from, inline_scripts, lab_today, login

TODAY = lab_today()


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _post(client, url, data):
    token = csrf_token_from(client.get(url))
    return client.post(url, data={**data, "csrf_token": token})


def _order_form(clinician_id, **changes):
    data = {
        "record_number": "HC-NEW-1", "given_name": "Lucía", "family_name": "Pérez",
        "date_of_birth": "1968-04-02", "sex": "F",
        "disc_levels": ["L4-L5", "L5-S1"], "cells_per_disc": "20", "tolerance_percent": "20",
        "qc_reserve_cells": "", "planned_procedure_date": (TODAY + timedelta(days=30)).isoformat(),
        "treating_clinician_id": str(clinician_id),
        "authorisation_reference": "AEMPS-PEI-2026-001",
        "authorisation_granted_on": (TODAY - timedelta(days=5)).isoformat(),
        "authorisation_levels": ["L4-L5", "L5-S1"], "authorisation_expires_on": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- conversions -------------------------------------------------------------------------

@pytest.mark.parametrize(("millions", "cells"), [
    (Decimal("20"), 20_000_000), (Decimal("20.5"), 20_500_000), (Decimal("0.25"), 250_000),
    (None, 0),
])
def test_cells_are_entered_in_millions(millions, cells):
    assert cells_from_millions(millions) == cells


def test_cells_are_shown_in_millions():
    assert millions_from_cells(20_000_000) == Decimal("20")
    assert str(millions_from_cells(20_000_000)) == "20"
    assert millions_from_cells(20_500_000) == Decimal("20.5")
    assert cells_in_millions(40_000_000) == "40"
    assert cells_in_millions(23_500_000) == "23.5"


def test_local_lab_times_become_aware_utc(app):
    app.config["LAB_TIMEZONE"] = "Europe/Madrid"
    winter = lab_local_to_utc(datetime(2026, 1, 15, 10, 0), lab_zone())
    summer = lab_local_to_utc(datetime(2026, 7, 15, 10, 0), lab_zone())
    assert winter == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert summer == datetime(2026, 7, 15, 8, 0, tzinfo=UTC)
    with pytest.raises(NonexistentLocalTime):  # in the spring gap: refused, never shifted
        lab_local_to_utc(datetime(2026, 3, 29, 2, 30), lab_zone())


# --- patients ----------------------------------------------------------------------------

def test_clinician_registers_a_patient_and_finds_it(signed_in):
    client, _ = signed_in("clinician")
    response = _post(client, "/patients/new", {
        "record_number": "hc778899", "given_name": "Ana", "family_name": "Ruiz",
        "date_of_birth": "1970-05-17", "sex": "F"})
    assert response.status_code == 302
    patient = db.session.scalars(select(Patient)).one()
    assert patient.record_number == "HC778899"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "RUIZ, Ana" in page and "Female" in page
    listing = client.get("/patients?q=ruiz").get_data(as_text=True)
    assert "HC778899" in listing
    assert "No patient matches" in client.get("/patients?q=nobody").get_data(as_text=True)


def test_a_duplicate_record_number_is_refused(signed_in):
    client, _ = signed_in("clinician")
    existing = builders.patient(record_number="HC000777")
    response = _post(client, "/patients/new", {
        "record_number": "hc000777", "given_name": "Otra", "family_name": "Persona",
        "date_of_birth": "1960-01-01", "sex": "M"})
    assert response.status_code == 200
    assert "A patient with this record number already exists." in response.get_data(as_text=True)
    assert _count(Patient) == 1 and existing.given_name == "Ana"


def test_patient_form_errors_keep_the_values(signed_in):
    client, _ = signed_in("clinician")
    response = _post(client, "/patients/new", {
        "record_number": "HC1", "given_name": "Ana", "family_name": "Ruiz",
        "date_of_birth": "not a date", "sex": ""})
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert "Not a valid date value." in html and "Choose the patient's sex." in html
    assert 'value="Ruiz"' in html
    assert _count(Patient) == 0


# --- orders ------------------------------------------------------------------------------

def test_clinician_orders_for_a_new_patient_with_the_defaults(signed_in, app):
    client, clinician = signed_in("clinician")
    form = client.get("/orders/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="cells_per_disc"[^>]*value="20"', form)  # millions
    assert re.search(r'<input[^>]*id="tolerance_percent"[^>]*value="20"', form)
    assert f'<option selected value="{clinician.id}">' in form

    response = _post(client, "/orders/new", _order_form(clinician.id))
    assert response.status_code == 302, response.get_data(as_text=True)
    order = db.session.scalars(select(TreatmentOrder)).one()
    assert order.cells_per_disc == app.config["DEFAULT_CELLS_PER_DISC"] == 20_000_000
    assert order.levels == ("L4-L5", "L5-S1") and order.tolerance_percent == 20
    assert order.patient.record_number == "HC-NEW-1"
    assert order.authorised_levels == ("L4-L5", "L5-S1")

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert order.order_number in page and "Awaiting sample" in page
    assert "40 × 10⁶" in page  # 20 × 10⁶ per disc × 2 levels
    assert "The authorisation covers every ordered disc level." in page
    assert "PÉREZ, Lucía" in page


def test_an_order_for_a_registered_patient(signed_in):
    client, clinician = signed_in("clinician")
    patient = builders.patient(clinician)
    assert patient.record_number in client.get(
        f"/orders/new?patient_id={patient.id}").get_data(as_text=True)
    data = _order_form(clinician.id, record_number=patient.record_number.lower(),
                       given_name="", family_name="", date_of_birth="", sex="",
                       cells_per_disc="23.5", qc_reserve_cells="2")
    response = _post(client, "/orders/new", data)
    assert response.status_code == 302
    order = db.session.scalars(select(TreatmentOrder)).one()
    assert order.patient_id == patient.id and _count(Patient) == 1
    assert order.cells_per_disc == 23_500_000 and order.qc_reserve_cells == 2_000_000
    assert order.target_cells == 49_000_000


def test_an_unknown_record_number_without_details_is_refused(signed_in):
    client, clinician = signed_in("clinician")
    data = _order_form(clinician.id, given_name="", family_name="", date_of_birth="", sex="")
    html = _post(client, "/orders/new", data).get_data(as_text=True)
    assert "No patient has this record number." in html
    assert _count(TreatmentOrder) == 0


def test_a_new_patient_with_a_taken_record_number_is_refused(signed_in):
    client, clinician = signed_in("clinician")
    builders.patient(clinician, record_number="HC-NEW-1")
    html = _post(client, "/orders/new", _order_form(clinician.id)).get_data(as_text=True)
    assert "A patient with this record number already exists." in html
    assert _count(TreatmentOrder) == 0 and _count(Patient) == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"disc_levels": None}, "Choose at least one disc level."),
    ({"planned_procedure_date": (TODAY - timedelta(days=1)).isoformat()},
     "The planned procedure date cannot be in the past."),
    ({"cells_per_disc": "abc"}, "Not a valid decimal value."),
    ({"cells_per_disc": "NaN"}, "Enter a number."),
    ({"cells_per_disc": "1e999999999"}, "Number must be between"),
    ({"cells_per_disc": "0.5"}, "Cells per disc must be between 1 and 500 million."),
    ({"cells_per_disc": "20.125"}, "Use at most 2 decimal places."),
    ({"tolerance_percent": "80"}, "Number must be between 0 and 50."),
    ({"tolerance_percent": "ten"}, "Not a valid integer value."),
    ({"treating_clinician_id": "999999"}, "Not a valid choice."),
    ({"disc_levels": ["L4-L5", "T12-L1"]}, "is not a valid choice"),
    ({"disc_levels": ["L4-L5", "L4-L5"]}, "Disc level L4-L5 is given twice."),
    ({"authorisation_granted_on": ""}, "Enter the date the authorisation was granted"),
    ({"authorisation_levels": None}, "Tick the disc levels the authorisation covers."),
    ({"authorisation_reference": ""}, "Enter the authorisation reference"),
    ({"authorisation_expires_on": (TODAY - timedelta(days=30)).isoformat()},
     "The authorisation cannot expire before it was granted."),
    ({"date_of_birth": (TODAY + timedelta(days=1)).isoformat()},
     "Enter a date of birth in the past."),
])
def test_order_validation_errors_are_shown_and_nothing_is_stored(signed_in, changes, message):
    client, clinician = signed_in("clinician")
    response = _post(client, "/orders/new", _order_form(clinician.id, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html.replace("&#39;", "'")
    assert 'value="AEMPS-PEI-2026-001"' in html or changes.get("authorisation_reference") == ""
    assert _count(TreatmentOrder) == 0 and _count(Patient) == 0


def test_the_service_refuses_a_repeated_disc_level(app):
    clinician = builders.user("clinician")
    patient = builders.patient(clinician)
    data = OrderData(disc_levels=["L4-L5", "l4/l5"], cells_per_disc=20_000_000,
                     tolerance_percent=20, planned_procedure_date=TODAY + timedelta(days=9),
                     treating_clinician_id=clinician.id)
    with pytest.raises(ServiceError, match="Disc level L4-L5 is given twice") as error:
        orders.create_order(clinician, patient, data, TODAY)
    assert error.value.field == "disc_levels"


def test_the_order_page_says_when_the_authorisation_does_not_cover_the_levels(signed_in):
    client, clinician = signed_in("clinician")
    partial = builders.order(clinician, authorisation_levels=("L4-L5",))
    html = client.get(f"/orders/{partial.order_number}").get_data(as_text=True)
    assert "No batch can start for this order" in html
    assert "does not cover disc level L5-S1" in html
    missing = builders.order(clinician, authorised=False)
    html = client.get(f"/orders/{missing.order_number}").get_data(as_text=True)
    assert "No AEMPS authorisation is recorded for this treatment." in html


def test_the_order_page_follows_the_sample_and_the_batch(signed_in):
    client, clinician = signed_in("clinician")
    order = builders.order(clinician)
    url = f"/orders/{order.order_number}"
    assert "Awaiting sample" in client.get(url).get_data(as_text=True)
    builders.receive(order, temperature_c=Decimal("4"))
    html = client.get(url).get_data(as_text=True)
    assert "Sample rejected — new collection needed" in html
    assert "Temperature on arrival 4 °C is outside 15–25 °C." in html
    batch = builders.receive(order).batch
    html = client.get(url).get_data(as_text=True)
    assert f"Batch {batch.batch_number}: In culture" in html


def test_orders_are_paginated_and_sorted_by_planned_date(signed_in, app):
    app.config["PAGE_SIZE"] = 2
    client, clinician = signed_in("clinician")
    numbers = [builders.order(clinician, planned_procedure_date=TODAY + timedelta(days=d))
               .order_number for d in (10, 30, 20)]
    first = client.get("/orders").get_data(as_text=True)
    assert numbers[1] in first and numbers[2] in first and numbers[0] not in first
    assert "Page 1 of 2" in first
    assert numbers[0] in client.get("/orders?page=2").get_data(as_text=True)
    soonest = client.get("/orders?sort=soonest").get_data(as_text=True)
    assert soonest.index(numbers[0]) < soonest.index(numbers[2])
    assert numbers[1] not in soonest
    assert client.get("/orders?sort=bogus&page=abc").status_code == 200


def test_empty_lists_say_so(signed_in):
    client, _ = signed_in("clinician")
    assert "No treatment order yet." in client.get("/orders").get_data(as_text=True)
    assert "No patient is registered yet." in client.get("/patients").get_data(as_text=True)


@pytest.mark.parametrize(("role", "status"), [
    ("technician", 200), ("qa", 200), ("clinician", 403), ("admin", 403)])
def test_who_may_read_an_order(signed_in, role, status):
    order = builders.order()
    client, _ = signed_in(role)
    assert client.get(f"/orders/{order.order_number}").status_code == status


def test_the_treating_clinician_reads_the_order_another_clinician_does_not(signed_in):
    client, clinician = signed_in("clinician")
    assert client.get(f"/orders/{builders.order(clinician).order_number}").status_code == 200
    assert client.get(f"/orders/{builders.order().order_number}").status_code == 403


@pytest.mark.parametrize("role", ["technician", "qa", "admin"])
def test_only_clinicians_create_orders_and_patients(signed_in, role):
    patient = builders.patient()
    client, _ = signed_in(role)
    for url in ("/orders", "/orders/new", "/patients", "/patients/new",
                f"/patients/{patient.id}"):
        assert client.get(url).status_code == 403, url
    token = csrf_token_from(client.get("/account/password"))
    assert client.post("/orders/new", data={"csrf_token": token}).status_code == 403
    assert client.post("/patients/new", data={"csrf_token": token}).status_code == 403


def test_orders_need_sign_in_and_unknown_ones_are_404(client, signed_in):
    assert client.get("/orders/ORD26-0001").status_code == 302
    assert client.get("/patients").status_code == 302
    client, _ = signed_in("clinician")
    assert client.get("/orders/NOPE").status_code == 404
    assert client.get("/patients/999999").status_code == 404


def test_a_technician_sees_the_receive_button_qa_sees_the_history(signed_in, app):
    order = builders.order()
    client, _ = signed_in("technician")
    html = client.get(f"/orders/{order.order_number}").get_data(as_text=True)
    assert f"/samples/receive/{order.order_number}" in html
    assert 'data-testid="history-link"' not in html
    qa = app.test_client()
    login(qa, builders.user("qa").username)
    html = qa.get(f"/orders/{order.order_number}").get_data(as_text=True)
    assert 'data-testid="history-link"' in html
    assert f"/samples/receive/{order.order_number}" not in html
    assert not inline_scripts(html) and "style=" not in html


def test_an_authorisation_recorded_later_lets_the_batch_start(signed_in):
    client, clinician = signed_in("clinician")
    order = builders.order(clinician, authorised=False)
    url = f"/orders/{order.order_number}/authorisation"
    assert "Record authorisation" in client.get(f"/orders/{order.order_number}").get_data(
        as_text=True)
    data = {"authorisation_reference": "AEMPS-PEI-LATE-7",
            "authorisation_granted_on": (TODAY - timedelta(days=1)).isoformat(),
            "authorisation_levels": ["L4-L5", "L5-S1"], "authorisation_expires_on": ""}
    refused = _post(client, url, data)
    assert "This field is required." in refused.get_data(as_text=True)
    assert db.session.get(TreatmentOrder, order.id).authorisation_reference is None
    response = _post(client, url, {**data, "reason": "AEMPS resolution received today"})
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(TreatmentOrder, order.id)
    assert saved.authorisation_reference == "AEMPS-PEI-LATE-7"
    assert orders.authorisation_issues(saved, TODAY) == []
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "treatment_order", AuditEvent.action == "update")).one()
    assert event.reason == "AEMPS resolution received today"
    assert builders.receive(saved).batch is not None


def test_only_clinicians_record_an_authorisation(signed_in):
    order = builders.order(authorised=False)
    client, _ = signed_in("technician")
    assert client.get(f"/orders/{order.order_number}/authorisation").status_code == 403
    assert "Record authorisation" not in client.get(
        f"/orders/{order.order_number}").get_data(as_text=True)
