"""Hostile input never reaches the database as an error, and patient data is never cached
(issue 17, defects 7 and 8): numbers too large for a column, impossible dates, deeply
nested or oversized JSON, NUL in a path; ``Cache-Control: no-store`` on pages, PDFs,
CSV and the API."""

import json

import pytest
from werkzeug.routing import IntegerConverter

from labtrack.accounts import api_tokens
from labtrack.api.openapi import openapi_document
from labtrack.web.security import BoundedIntegerConverter
from tests import builders
from tests.helpers import login

HUGE = "99999999999999999999"
ROLES = ("technician", "qa", "clinician", "admin")


def _get_rules(app, with_args: bool):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if bool(rule.arguments) == with_args:
            yield rule


def _build(rule, value_for_int: str, value_for_text: str) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = "1"
        elif hasattr(converter, "items"):
            values[name] = next(iter(converter.items))
        else:
            values[name] = value_for_text
    path = rule.build(values, append_unknown=False)[1]
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            path = path.replace(f"/{values[name]}", f"/{value_for_int}", 1)
    return path


@pytest.mark.parametrize("role", ROLES)
def test_a_page_number_too_large_for_the_database_is_not_a_500(app, client, make_user, role):
    login(client, make_user(role).username)
    for rule in _get_rules(app, with_args=False):
        if rule.endpoint in ("auth.logout", "main.healthz") or rule.rule.startswith("/api/"):
            continue
        status = client.get(f"{rule.rule}?page={HUGE}").status_code
        assert status in (200, 302, 400, 403, 404), (rule.rule, status)


@pytest.mark.parametrize("role", ROLES)
def test_ids_too_large_and_nul_in_a_path_answer_404(app, client, make_user, role):
    login(client, make_user(role).username)
    for rule in _get_rules(app, with_args=True):
        if rule.rule.startswith("/api/") or rule.endpoint == "static":
            continue
        kinds = [type(c) for c in rule._converters.values()]
        if IntegerConverter in kinds or BoundedIntegerConverter in kinds:
            status = client.get(_build(rule, HUGE, "X1")).status_code
            assert status in (403, 404), (rule.rule, status)
        if any(not hasattr(c, "items") and not isinstance(c, IntegerConverter)
               for c in rule._converters.values()):
            status = client.get(_build(rule, "1", "X1\x00Y")).status_code
            assert status in (403, 404), (rule.rule, status)


def test_an_impossible_audit_date_is_refused_naming_the_range(app, client, make_user):
    login(client, make_user("qa").username)
    for query in ("until=9999-12-31", "since=0001-01-01"):
        response = client.get(f"/audit?{query}")  # refused on the form, as a bad range is
        assert response.status_code == 200, query
        assert "Give a date between 2000 and 2999" in response.get_data(as_text=True)


@pytest.fixture
def tech_token(app):
    user = builders.user("technician")
    return api_tokens.create_token(user, user, "Counter")[1]


def _api(client, token, path, **kwargs):
    return client.open(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"},
                       **kwargs)


def test_the_api_bounds_its_numbers_and_its_enum(app, client, tech_token):
    for query in (f"page={HUGE}", f"clinician_id={HUGE}", f"clinician_id=-{HUGE}", "status="):
        response = _api(client, tech_token, f"/orders?{query}")
        assert response.status_code == 400, query
        assert response.headers["Cache-Control"] == "no-store"
    assert _api(client, tech_token, f"/doses/X%00{HUGE}").status_code == 404


def test_deep_or_large_json_is_refused_not_a_crash(app, client, tech_token):
    batch = builders.seeded_batch()
    path = f"/batches/{batch.batch_number}/counts"
    deep = "[" * 100_000 + "]" * 100_000
    response = _api(client, tech_token, path, method="POST", data=deep,
                    content_type="application/json")
    assert response.status_code in (400, 413) and response.is_json
    nested = {"viable_cells": 1}
    for _ in range(20):
        nested = {"x": nested}
    response = _api(client, tech_token, path, method="POST", json=nested)
    assert response.status_code == 400 and "nested too deeply" in response.get_json()[
        "error"]["message"]
    big = json.dumps({"viable_cells": 1, "method": "x" * 100_000})
    response = _api(client, tech_token, path, method="POST", data=big,
                    content_type="application/json")
    assert response.status_code == 413 and response.is_json
    huge = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert client.post("/login", data={"username": huge}).status_code == 413


def test_the_document_says_dead_or_total_cells_are_required(app, client, tech_token):
    schema = openapi_document()["components"]["schemas"]["CountInput"]
    assert {"required": ["dead_cells"]} in schema["anyOf"]
    assert {"required": ["total_cells"]} in schema["anyOf"]
    batch = builders.seeded_batch()
    response = _api(client, tech_token, f"/batches/{batch.batch_number}/counts",
                    method="POST", json={"viable_cells": 0})
    assert response.status_code == 422


def test_patient_data_is_never_cached(app, client, make_user):
    batch = builders.releasable_batch()
    builders.release(batch)
    qa = make_user("qa")
    login(client, qa.username)
    for url in (f"/quality/batches/{batch.batch_number}/record.pdf",
                f"/quality/batches/{batch.batch_number}/labels.pdf",
                f"/batches/{batch.batch_number}", "/audit/export.csv"):
        response = client.get(url)
        response.get_data()
        response.close()
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    with client.get("/static/css/labtrack.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")
