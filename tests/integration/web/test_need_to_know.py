"""Need-to-know (web.policy): a clinician reads only the records of the orders they treat.

The same rule answers every way in: the batch, order, patient and bedside pages, the
API's batch, order, dose and dose-list endpoints, and the administration use case. A
second clinician is refused each of them; the treating clinician, technicians and QA
are not; the readiness overview stays open to every clinician for planning.
"""

from __future__ import annotations

import pytest

from labtrack.accounts import api_tokens
from labtrack.clinic import administration
from labtrack.clinic.administration import patient_doses
from labtrack.errors import PermissionDenied
from labtrack.web.policy import Role, may_read_order, may_read_patient
from tests import builders
from tests.helpers import login


@pytest.fixture
def released(app):
    """A released batch of the treating clinician's patient, and another clinician."""
    treating = builders.user("clinician")
    order = builders.order(treating)
    batch = builders.releasable_batch(order)
    builders.release(batch)
    return treating, builders.user("clinician"), order, batch


def _pages(order, batch) -> list[str]:
    patient = order.patient
    return [f"/batches/{batch.batch_number}", f"/orders/{order.order_number}",
            f"/orders/{order.order_number}/authorisation", f"/patients/{patient.id}",
            f"/administer/{patient.id}"]


def _api(order, batch) -> list[str]:
    dose = patient_doses(order.patient)[0].dose
    return [f"/api/v1/batches/{batch.batch_number}", f"/api/v1/orders/{order.order_number}",
            f"/api/v1/orders/{order.order_number}/doses", f"/api/v1/doses/{dose.dose_code}"]


def _bearer(user) -> dict:
    _token, secret = api_tokens.create_token(user, user, "need-to-know test")
    return {"Authorization": f"Bearer {secret}"}


def test_another_clinician_is_refused_the_patient_s_records_by_page_and_api(app, released):
    treating, other, order, batch = released
    for who, expected in ((other, 403), (treating, 200)):
        client = app.test_client()
        assert login(client, who.username).status_code == 302
        for url in _pages(order, batch):
            status = client.get(url).status_code
            assert status == expected, (who.username, url, status)
        for url in _api(order, batch):
            response = app.test_client().get(url, headers=_bearer(who))
            assert response.status_code == expected, (who.username, url, response.json)


def test_technicians_and_qa_read_every_patient_s_records(app, released):
    _treating, _other, order, batch = released
    for role in ("technician", "qa"):
        user = builders.user(role)
        client = app.test_client()
        assert login(client, user.username).status_code == 302
        assert client.get(f"/batches/{batch.batch_number}").status_code == 200
        assert client.get(f"/orders/{order.order_number}").status_code == 200
        response = app.test_client().get(f"/api/v1/batches/{batch.batch_number}",
                                         headers=_bearer(user))
        assert response.status_code == 200


def test_the_administration_use_case_refuses_another_clinician(app, released):
    _treating, other, order, _batch = released
    dose = patient_doses(order.patient)[0].dose
    with pytest.raises(PermissionDenied, match="treated by another clinician"):
        administration.record_administration(other, order.patient.record_number,
                                             dose.dose_code, dose.disc_level)
    assert administration.patient_doses(order.patient)[0].administration is None


def test_the_readiness_overview_stays_open_to_every_clinician(app, released):
    _treating, other, order, _batch = released
    client = app.test_client()
    assert login(client, other.username).status_code == 302
    page = client.get("/readiness?clinician=all&status=all")
    assert page.status_code == 200 and order.order_number in page.get_data(as_text=True)


@pytest.mark.parametrize(("role", "user_id", "treating", "allowed"), [
    (Role.TECHNICIAN, 1, 2, True), (Role.QA, 1, 2, True), (Role.CLINICIAN, 2, 2, True),
    (Role.CLINICIAN, 1, 2, False), (Role.ADMIN, 1, 1, False), ("nobody", 1, 1, False)])
def test_the_rule_itself(role, user_id, treating, allowed):
    assert may_read_order(role, user_id, treating) is allowed
    assert may_read_patient(role, user_id, {treating}) is allowed


def test_a_patient_without_orders_is_open_to_clinicians_to_place_the_first():
    assert may_read_patient(Role.CLINICIAN, 7, set())
    assert not may_read_patient(Role.ADMIN, 7, set())
