"""Property-based tests: arbitrary input to forms and the API never gives a 500, and a
refused input leaves the database as it was."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from labtrack.accounts import api_tokens
from labtrack.audit.models import AuditEvent
from labtrack.culture.models import CellCount
from labtrack.extensions import db
from tests import builders
from tests.helpers import csrf_token_from, login

FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
VALUES = st.one_of(
    st.text(max_size=30), st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str), st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.sampled_from(["", "y", "0", "-1", "1e309", "L4-L5", "=A99992600012385", "\x00", "é" * 3]),
)
FUZZ = settings(max_examples=20, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture
def world(app):
    """A technician, a clinician and an admin, an order awaiting its sample, a seeded batch."""
    technician = builders.user("technician")
    clinician = builders.user("clinician")
    awaiting = builders.order(clinician)
    batch = builders.seeded_batch(builders.order(clinician), technician)
    return {"technician": technician, "clinician": clinician, "admin": builders.user("admin"),
            "routes": {
                "technician": [f"/samples/receive/{awaiting.order_number}",
                               f"/batches/{batch.batch_number}/counts/new",
                               f"/batches/{batch.batch_number}/steps/new/medium_change",
                               f"/batches/{batch.batch_number}/steps/new/observation",
                               f"/qc/batches/{batch.batch_number}", "/deviations/new",
                               "/inventory/lots/new", "/inventory/equipment/new"],
                "clinician": ["/orders/new", "/patients/new"],
                "admin": ["/admin/users/new"]},
            "batch": batch}


@pytest.mark.parametrize("role", ["technician", "clinician", "admin"])
def test_forms_survive_arbitrary_input(app, client, world, role):
    login(client, world[role].username)
    for url in world["routes"][role]:
        _fuzz_form(client, url)


def _fuzz_form(client, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 200, url
    names = sorted(set(FIELD.findall(page.get_data(as_text=True))) - {"csrf_token"})
    assert len(names) >= 2, url
    token = csrf_token_from(page)

    @FUZZ
    @given(st.fixed_dictionaries(dict.fromkeys(names, VALUES)))
    def post_anything(data):
        before = _events()
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code < 500, (url, data)
        if response.status_code != 302:  # refused: nothing stored
            db.session.rollback()
            assert _events() == before, (url, data)

    post_anything()


def test_the_count_api_survives_arbitrary_json(app, client, world):
    _, secret = api_tokens.create_token(world["technician"], world["technician"], "counter")
    url = f"/api/v1/batches/{world['batch'].batch_number}/counts"
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=10), children, max_size=3), max_leaves=8)
    bodies = st.one_of(
        json_values,
        st.fixed_dictionaries({"counted_at": VALUES | st.none(), "method": VALUES,
                               "viable_cells": json_values, "dead_cells": json_values}))

    @FUZZ
    @given(bodies)
    def post_anything(body):
        before = db.session.scalar(select(func.count()).select_from(CellCount))
        response = client.post(url, json=body, headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code < 500, body
        assert response.is_json
        if response.status_code != 201:
            db.session.rollback()
            assert db.session.scalar(select(func.count()).select_from(CellCount)) == before

    post_anything()


def test_text_holding_a_nul_character_is_refused_with_a_message(app, client, world):
    login(client, world["technician"].username)
    page = client.get("/inventory/equipment/new")
    before = _events()
    response = client.post("/inventory/equipment/new", data={
        "identifier": "EQ-\x00-1", "kind": "incubator", "calibration_due": "2030-01-01",
        "csrf_token": csrf_token_from(page)})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    assert _events() == before
    _, secret = api_tokens.create_token(world["technician"], world["technician"], "counter")
    api = client.post(f"/api/v1/batches/{world['batch'].batch_number}/counts",
                      data='{"method": "automated\\u0000", "viable_cells": 1}',
                      headers={"Authorization": f"Bearer {secret}",
                               "Content-Type": "application/json"})
    assert api.status_code == 400 and "NUL character" in api.get_json()["error"]["message"]
