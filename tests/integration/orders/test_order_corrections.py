"""Corrections of orders and patients: planned date, treating clinician, disc levels (before
a batch starts), cancellation and demographics, each with a reason, audited, never deleted;
planned dates within sensible bounds."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from labtrack.audit.models import AuditEvent
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.orders.models import Patient, TreatmentOrder
from labtrack.samples import receipt as samples
from tests import builders
from tests.helpers import csrf_token_from, lab_today, login
from tests.integration.orders.test_orders_views import _order_form


def _text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def _post(client, url, **data):
    page = client.get(url)
    return client.post(url, data={"csrf_token": csrf_token_from(page), **data})


def _events(record_type, record_id):
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == record_type, AuditEvent.record_id == str(record_id),
        AuditEvent.action == "update").order_by(AuditEvent.seq)))


def _correction(order, **changes) -> dict:
    return {"planned_procedure_date": order.planned_procedure_date.isoformat(),
            "treating_clinician_id": str(order.treating_clinician_id),
            "disc_levels": list(order.levels), **changes}


def test_a_procedure_planned_on_2999_12_31_is_refused_naming_the_latest_date(signed_in):
    client, clinician = signed_in("clinician")
    response = _post(client, "/orders/new", **_order_form(
        clinician.id, planned_procedure_date="2999-12-31"))
    latest = (lab_today() + timedelta(days=365)).isoformat()
    assert "The planned procedure date is more than 365 days ahead: plan it on or before " \
           f"{latest}." in _text(response)
    assert db.session.scalar(select(func.count()).select_from(TreatmentOrder)) == 0


def test_a_procedure_after_the_authorisation_expires_is_refused(app):
    with pytest.raises(ServiceError, match="valid until"):
        builders.order(authorisation_expires_on=lab_today() + timedelta(days=20))
    app.config["ORDER_MAX_DAYS_AHEAD"] = 20
    with pytest.raises(ServiceError, match="more than 20 days ahead"):
        builders.order()


def test_the_clinician_moves_the_planned_date_and_hands_over_with_a_reason_in_the_history(
        app, client):
    order = builders.order()
    colleague = builders.user("clinician", full_name="Dra. Inés Lago")
    login(client, order.treating_clinician.username)
    old_date = order.planned_procedure_date
    new_date = old_date + timedelta(days=7)
    url = f"/orders/{order.order_number}/correct"

    response = _post(client, url, **_correction(
        order, planned_procedure_date=new_date.isoformat(),
        treating_clinician_id=str(colleague.id)),
        reason="Culture slower than expected; Dr. Lago covers the procedure list.")

    assert response.status_code == 302
    db.session.refresh(order)
    assert (order.planned_procedure_date, order.treating_clinician_id) == (new_date,
                                                                         colleague.id)
    (event,) = _events("treatment_order", order.id)
    assert event.reason == "Culture slower than expected; Dr. Lago covers the procedure list."
    assert old_date.isoformat() in event.changes and new_date.isoformat() in event.changes
    qa_client = app.test_client()
    login(qa_client, builders.user("qa").username)
    history = _text(qa_client.get(f"/audit/history/treatment_order/{order.id}"))
    assert "Culture slower than expected" in history


def test_disc_levels_change_before_a_batch_starts_and_not_after(signed_in):
    client, clinician = signed_in("clinician")
    order = builders.order(clinician, levels=("L4-L5", "L5-S1"))
    url = f"/orders/{order.order_number}/correct"
    done = _post(client, url, **_correction(order, disc_levels=["L4-L5"]),
                 reason="MRI review: only L4-L5 is degenerated.")
    assert done.status_code == 302
    db.session.refresh(order)
    assert order.levels == ("L4-L5",)

    builders.receive(order)  # the batch starts
    refused = _post(client, url, **_correction(order, disc_levels=["L4-L5", "L5-S1"]),
                    reason="Add L5-S1 back")
    assert refused.status_code == 400
    assert "The batch has started: its disc levels can no longer change." in _text(refused)
    db.session.refresh(order)
    assert order.levels == ("L4-L5",)


def test_a_correction_without_a_reason_or_to_a_past_date_changes_nothing(signed_in):
    client, clinician = signed_in("clinician")
    order = builders.order(clinician)
    planned = order.planned_procedure_date
    url = f"/orders/{order.order_number}/correct"
    no_reason = _post(client, url, **_correction(
        order, planned_procedure_date=(planned + timedelta(days=1)).isoformat()), reason="")
    past = _post(client, url, **_correction(
        order, planned_procedure_date=(lab_today() - timedelta(days=1)).isoformat()),
        reason="Moved")
    far = _post(client, url, **_correction(order, planned_procedure_date="2999-12-31"),
                reason="Moved")
    assert no_reason.status_code == past.status_code == far.status_code == 400
    assert "cannot be in the past" in _text(past) and "365 days ahead" in _text(far)
    db.session.refresh(order)
    assert order.planned_procedure_date == planned
    assert _events("treatment_order", order.id) == []


def test_a_cancelled_order_is_kept_with_its_reason_and_takes_no_sample(signed_in):
    client, clinician = signed_in("clinician")
    order = builders.order(clinician)
    response = _post(client, f"/orders/{order.order_number}/cancel",
                     reason="Patient withdrew consent on 2026-12-01.")
    assert response.status_code == 302
    db.session.refresh(order)
    assert order.cancelled_reason == "Patient withdrew consent on 2026-12-01."
    page = _text(client.get(f"/orders/{order.order_number}"))
    assert "Cancelled: Patient withdrew consent on 2026-12-01." in page
    assert 'data-testid="correct-order"' not in page
    assert order not in db.session.scalars(samples.orders_awaiting_sample()).all()
    (event,) = _events("treatment_order", order.id)
    assert event.reason == "Patient withdrew consent on 2026-12-01."


def test_an_order_with_a_batch_under_way_cannot_be_cancelled(signed_in):
    client, clinician = signed_in("clinician")
    order = builders.order(clinician)
    builders.receive(order)
    response = _post(client, f"/orders/{order.order_number}/cancel", reason="Withdrew")
    assert response.status_code == 400 and "QA must terminate or reject it" in _text(response)
    db.session.refresh(order)
    assert order.cancelled_reason is None


def test_a_patients_demographics_are_corrected_and_the_old_values_kept(signed_in):
    client, clinician = signed_in("clinician")
    patient = builders.patient(clinician, given_name="Carmen", family_name="Lopez Garcia")
    response = _post(client, f"/patients/{patient.id}/correct", given_name="Carmen",
                     family_name="López García", date_of_birth="1961-05-09", sex="F",
                     reason="Accents missing at registration; DOB from the ID card.")
    assert response.status_code == 302
    db.session.refresh(patient)
    assert (patient.family_name, patient.date_of_birth.isoformat()) == ("López García",
                                                                        "1961-05-09")
    (event,) = _events("patient", patient.id)
    assert "Lopez Garcia" in event.changes and event.reason.startswith("Accents missing")
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 1
    refused = _post(client, f"/patients/{patient.id}/correct", given_name="Carmen",
                    family_name="López García", date_of_birth="2999-01-01", sex="F",
                    reason="Typo")
    assert refused.status_code == 400 and "Enter a date of birth in the past." in _text(refused)
