"""The JSON API on both databases: tokens, bad input, and every response checked against
the OpenAPI document (its path, method and status must be declared, and the body must match)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask import current_app
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from labtrack.accounts import api_tokens
from labtrack.accounts import users as accounts
from labtrack.accounts.models import Notice
from labtrack.api.openapi import openapi_document
from labtrack.culture import formulation_corrections, harvest
from labtrack.culture.harvest import FormulationData
from labtrack.culture.models import CellCount
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders
from tests.helpers import lab_today, login

DOC = openapi_document()
BASE = "urn:labtrack:openapi"
REGISTRY = Registry().with_resource(
    BASE, Resource.from_contents(DOC, default_specification=DRAFT202012))
PREFIX = "/api/v1"


def _pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _template(path: str) -> str | None:
    path = path.split("?")[0].removeprefix(PREFIX)
    for template in DOC["paths"]:
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            return template
    return None


def assert_matches_document(response, method: str, path: str) -> None:
    """The response's status is declared for its path and method, and its body matches."""
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    template = _template(path)
    status = str(response.status_code)
    if template is None or method.lower() not in DOC["paths"][template]:
        assert status in ("404", "405"), (path, status)
        pointer = _pointer("components", "schemas", "Error")
    else:
        responses = DOC["paths"][template][method.lower()]["responses"]
        assert status in responses, f"{method} {template} answered {status}, not documented"
        pointer = _pointer("paths", template, method.lower(), "responses", status, "content",
                           "application/json", "schema")
    validator = Draft202012Validator({"$ref": f"{BASE}#{pointer}"}, registry=REGISTRY,
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(response.get_json()), key=str)
    assert not errors, f"{method} {path} {status}: {errors[0].message}"


class Api:
    """The test client for /api/v1: every response is checked against the document."""

    def __init__(self, client):
        self.client = client
        self.checked = 0

    def call(self, method: str, path: str, token: str | None = None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(PREFIX + path, method=method, headers=headers, **kwargs)
        assert_matches_document(response, method, PREFIX + path)
        self.checked += 1
        return response

    def get(self, path, token=None, **kwargs):
        return self.call("GET", path, token, **kwargs)

    def post(self, path, token=None, **kwargs):
        return self.call("POST", path, token, **kwargs)


@pytest.fixture
def api(client):
    return Api(client)


def token_for(role: str, user=None) -> str:
    user = user or builders.user(role)
    return api_tokens.create_token(user, user, f"{role} system")[1]


def error_of(response) -> dict:
    return response.get_json()["error"]


# --- the document ------------------------------------------------------------------------


def test_the_document_is_valid_openapi_and_served_without_a_token(api):
    validate_spec(DOC)
    response = api.get("/openapi.json")
    assert response.status_code == 200
    served = response.get_json()
    assert served["openapi"] == "3.1.0" and served["paths"] == json.loads(json.dumps(DOC["paths"]))
    validate_spec(served)


# --- authentication ----------------------------------------------------------------------

PROTECTED = ["/orders", "/orders/ORD-2026-0001", "/orders/ORD-2026-0001/doses",
             "/doses/MSC-2026-0001-L4L5", "/batches/MSC-2026-0001"]


@pytest.mark.parametrize("path", PROTECTED)
def test_no_token_is_401_json(api, path):
    response = api.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in error_of(response)["message"]


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz",
                                    "Bearer lt_unknown-token", "Bearer " + "x" * 500])
def test_malformed_or_unknown_tokens_are_401(api, header):
    response = api.get("/orders", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_revoked_tokens_and_deactivated_accounts_are_401(api):
    admin, user = builders.user("admin"), builders.user("clinician")
    token, secret = api_tokens.create_token(user, user, "EHR")
    assert api.get("/orders", secret).status_code == 200
    api_tokens.revoke_token(user, token)
    assert api.get("/orders", secret).status_code == 401
    other = token_for("clinician", user)
    accounts.set_active(admin, user, False, "Left")
    assert api.get("/orders", other).status_code == 401


def test_a_session_cookie_is_not_accepted(api, client, make_user):
    user = make_user("clinician")
    login(client, user.username)
    assert client.get("/readiness").status_code == 200
    response = api.get("/orders")
    assert response.status_code == 401


def test_an_administrators_token_may_not_read_patient_data(api):
    response = api.get("/orders", token_for("admin"))
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


# --- reading -----------------------------------------------------------------------------


def test_orders_with_their_readiness(api):
    clinician = builders.user("clinician")
    waiting = builders.order(clinician)
    released = builders.order(clinician, planned_procedure_date=lab_today() + timedelta(days=2))
    batch = builders.releasable_batch(released)
    builders.release(batch)
    token = token_for("clinician", clinician)
    body = api.get(f"/orders?clinician_id={clinician.id}", token).get_json()
    assert body["total"] == 2 and body["page"] == 1
    first, second = body["items"]
    assert first["order_number"] == released.order_number
    assert first["readiness"]["status"] == "released"
    assert [dose["disc_level"] for dose in first["doses"]] == ["L4-L5", "L5-S1"]
    assert all(0 < dose["seconds_left"] <= 24 * 3600 for dose in first["doses"])
    assert second["readiness"]["status"] == "awaiting_sample"
    only = api.get("/orders?status=released", token).get_json()
    assert [item["order_number"] for item in only["items"]] == [released.order_number]
    one = api.get(f"/orders/{waiting.order_number.lower()}", token).get_json()
    assert one["order_number"] == waiting.order_number
    assert api.get("/orders?page=2", token).get_json()["items"] == []


@pytest.mark.parametrize("query", ["status=ready", "page=0", "page=two", "clinician_id=x"])
def test_bad_query_parameters_are_400(api, query):
    response = api.get(f"/orders?{query}", token_for("qa"))
    assert response.status_code == 400
    assert error_of(response)["field"] == query.split("=")[0]


def test_a_batch_with_its_progress_and_projection(api):
    order = builders.order()
    batch = builders.seeded_batch(order)
    builders.count(batch, 3_000_000, counted_at=utcnow() - timedelta(days=4))
    builders.count(batch, 12_000_000, counted_at=utcnow() - timedelta(days=1))
    body = api.get(f"/batches/{batch.batch_number}", token_for("technician")).get_json()
    assert body["state"] == "in_culture" and body["culture_day"] == 7
    assert body["progress"] == pytest.approx(0.3)
    assert body["projection"]["points_used"] == 2
    assert body["projected_ready"]["date"] and body["at_risk"] is False
    assert [count["viable_cells"] for count in body["counts"]] == [3_000_000, 12_000_000]


def test_doses_of_an_order_and_one_dose(api):
    clinician = builders.user("clinician")
    order = builders.order(clinician)
    batch = builders.releasable_batch(order)
    token = token_for("clinician", clinician)
    pending = api.get(f"/orders/{order.order_number}/doses", token).get_json()["items"]
    assert [dose["released"] for dose in pending] == [False, False]
    builders.release(batch)
    doses = api.get(f"/orders/{order.order_number}/doses", token).get_json()["items"]
    assert {dose["disc_level"] for dose in doses} == {"L4-L5", "L5-S1"}
    assert {dose["din"] for dose in doses} == {batch.sample.din}  # one donation, two doses
    assert sorted(dose["product_code"][-2:] for dose in doses) == ["A0", "B0"]
    one = api.get(f"/doses/{doses[0]['dose_code']}", token).get_json()
    assert one["released"] is True and one["expired"] is False and one["superseded"] is False
    assert one["administered_at"] is None and one["volume_ml"] == 2.0


def test_a_dose_replaced_by_a_formulation_correction_is_superseded_not_released(api):
    clinician = builders.user("clinician")
    order = builders.order(clinician)
    batch = builders.releasable_batch(order)
    token = token_for("clinician", clinician)
    old = api.get(f"/orders/{order.order_number}/doses", token).get_json()["items"]
    first = harvest.batch_doses(batch)[0]
    formulation_corrections.correct_formulation(
        builders.user("technician"), batch, FormulationData(
            formulated_at=first.formulated_at, volume_ml=Decimal("1.50"),
            container=first.container, cells_per_dose=first.viable_cells),
        "Volume drawn up wrongly", current_app.config["DOSE_SHELF_LIFE_HOURS"])
    builders.verify_critical_steps(batch)
    builders.release(batch)
    current = api.get(f"/orders/{order.order_number}/doses", token).get_json()["items"]
    assert sorted(dose["product_code"][-2:] for dose in current) == ["C0", "D0"]
    assert all(d["released"] and not d["superseded"] and d["volume_ml"] == 1.5 for d in current)
    replaced = api.get(f"/doses/{old[0]['dose_code']}", token).get_json()
    assert replaced["superseded"] is True and replaced["released"] is False


@pytest.mark.parametrize("path", ["/orders/ORD-1999-9999", "/orders/NOPE/doses",
                                  "/doses/NO-SUCH-DOSE", "/batches/MSC-1999-0001",
                                  "/no-such-thing", "/orders/x/y/z"])
def test_unknown_records_and_paths_are_404_json(api, path):
    response = api.get(path, token_for("clinician"))
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_a_wrong_method_is_405_json(api):
    token = token_for("technician")
    response = api.call("DELETE", "/orders", token)
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert api.get("/batches/MSC-2026-0001/counts", token).status_code == 405


# --- posting a count ----------------------------------------------------------------------


@pytest.fixture
def culture(app):
    """A batch in culture for an order whose procedure is in three days."""
    clinician = builders.user("clinician")
    order = builders.order(clinician, planned_procedure_date=lab_today() + timedelta(days=3))
    batch = builders.seeded_batch(order)
    builders.count(batch, 3_000_000, counted_at=utcnow() - timedelta(days=4))
    return batch


def test_a_counter_posts_a_count_and_a_slow_culture_alerts_the_clinician(api, culture):
    token = token_for("technician")
    counted_at = (utcnow() - timedelta(hours=1)).astimezone().isoformat()
    response = api.post(f"/batches/{culture.batch_number}/counts", token,
                        json={"viable_cells": 4_000_000, "dead_cells": 200_000,
                              "counted_at": counted_at})
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/api/v1/batches/{culture.batch_number}")
    body = response.get_json()
    assert body["count"]["source"] == "api" and body["count"]["viable_cells"] == 4_000_000
    assert body["count"]["viability_percent"] == pytest.approx(95.24)
    assert body["batch"]["at_risk"] is True
    count = db.session.get(CellCount, body["count"]["id"])
    assert count.source == "api" and count.method == "automated"
    notice = db.session.scalar(select(Notice).where(Notice.batch_id == culture.id))
    assert notice.kind == "at_risk" and notice.user_id == culture.order.treating_clinician_id


def test_only_a_technicians_token_may_post_a_count(api, culture):
    response = api.post(f"/batches/{culture.batch_number}/counts", token_for("clinician"),
                        json={"viable_cells": 4_000_000, "dead_cells": 1})
    assert response.status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"dead_cells": 1}, "viable_cells"),
    ({"viable_cells": -5, "dead_cells": 1}, "viable_cells"),
    ({"viable_cells": True, "dead_cells": 1}, "viable_cells"),
    ({"viable_cells": "4000000", "dead_cells": 1}, "viable_cells"),
    ({"viable_cells": 10**20, "dead_cells": 1}, "viable_cells"),
    ({"viable_cells": 4_000_000}, "dead_cells"),
    ({"viable_cells": 4_000_000, "total_cells": 1_000}, "viable_cells"),
    ({"viable_cells": 4_000_000, "dead_cells": 1, "viability_percent": 50}, "viability_percent"),
    ({"viable_cells": 4_000_000, "dead_cells": 1, "viability_percent": "high"},
     "viability_percent"),
    ({"viable_cells": 4_000_000, "dead_cells": 1, "counted_at": "2026-05-04T10:00:00"},
     "counted_at"),
    ({"viable_cells": 4_000_000, "dead_cells": 1, "counted_at": "yesterday"}, "counted_at"),
    ({"viable_cells": 4_000_000, "dead_cells": 1, "counted_at": 1714816800}, "counted_at"),
    ({"viable_cells": 4_000_000, "dead_cells": 1, "method": "guess"}, "method"),
    ({"viable_cells": 4_000_000, "dead_cells": 1, "colour": "red"}, "colour"),
    ({"viable_cells": 4_000_000, "dead_cells": 1, "passage_number": -1}, "passage_number"),
])
def test_invalid_counts_are_422_naming_the_field(api, culture, body, field):
    response = api.post(f"/batches/{culture.batch_number}/counts", token_for("technician"),
                        json=body)
    assert response.status_code == 422, response.get_json()
    assert error_of(response) == {**error_of(response), "code": "validation_error",
                                  "field": field}


def test_counts_in_the_future_or_before_seeding_are_422(api, culture):
    token = token_for("technician")
    for moment in (utcnow() + timedelta(hours=2), utcnow() - timedelta(days=30)):
        response = api.post(f"/batches/{culture.batch_number}/counts", token, json={
            "viable_cells": 4_000_000, "dead_cells": 1, "counted_at": moment.isoformat()})
        assert response.status_code == 422 and error_of(response)["field"] == "counted_at"


@pytest.mark.parametrize("kwargs", [
    {"data": "not json", "content_type": "application/json"},
    {"data": "viable_cells=1", "content_type": "application/x-www-form-urlencoded"},
    {"json": [1, 2, 3]},
    {"json": "text"},
])
def test_a_body_that_is_not_a_json_object_is_400(api, culture, kwargs):
    response = api.post(f"/batches/{culture.batch_number}/counts", token_for("technician"),
                        **kwargs)
    assert response.status_code == 400


def test_a_count_for_a_batch_no_longer_in_culture_is_409(api):
    batch = builders.formulated_batch()
    response = api.post(f"/batches/{batch.batch_number}/counts", token_for("technician"),
                        json={"viable_cells": 4_000_000, "dead_cells": 1})
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"


def test_a_count_for_an_unknown_batch_is_404(api):
    response = api.post("/batches/MSC-1999-0001/counts", token_for("technician"),
                        json={"viable_cells": 1, "dead_cells": 1})
    assert response.status_code == 404


def test_api_responses_are_not_cached_and_need_no_csrf(api, culture):
    response = api.get(f"/batches/{culture.batch_number}", token_for("qa"))
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert isinstance(datetime.fromisoformat(response.get_json()["started_at"]), datetime)
