"""The API's counts: whole cells, said so in the document; soft limits need a reason."""

from __future__ import annotations

from datetime import timedelta

from labtrack.culture import plausibility
from labtrack.culture.models import CellCount
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders
from tests.integration.api.test_api import DOC, api, error_of, token_for  # noqa: F401


def _batch():
    batch = builders.seeded_batch(seeded_days_ago=10)
    builders.count(batch, 10_000_000, counted_at=utcnow() - timedelta(days=3))
    builders.count(batch, 20_000_000, counted_at=utcnow() - timedelta(days=1))
    return batch


def _post(api, batch, **body):  # noqa: F811
    at = (utcnow() - timedelta(minutes=5)).astimezone().isoformat()
    return api.post(f"/batches/{batch.batch_number}/counts", token_for("technician"),
                    json={"dead_cells": 500_000, "counted_at": at, **body})


def test_the_document_says_cells_are_whole_cells_and_documents_the_reason():
    assert "whole cells" in DOC["info"]["description"]
    schema = DOC["components"]["schemas"]
    assert "Whole cells, not millions" in schema["Count"]["properties"]["viable_cells"][
        "description"]
    reason = schema["CountInput"]["properties"]["plausibility_reason"]
    assert reason["type"] == "string" and "refused with 422" in reason["description"]


def test_a_count_past_a_soft_limit_is_422_without_a_reason(api):  # noqa: F811
    batch = _batch()
    response = _post(api, batch, viable_cells=55_000_000)
    assert response.status_code == 422
    error = error_of(response)
    assert error["field"] == "viable_cells" and "doubling time" in error["message"]
    assert "plausibility_reason" in error["message"]
    assert db.session.query(CellCount).count() == 2


def test_a_count_past_a_soft_limit_is_recorded_with_its_reason(api):  # noqa: F811
    batch = _batch()
    response = _post(api, batch, viable_cells=55_000_000,
                     plausibility_reason="Counter recalibrated; recount agrees.")
    assert response.status_code == 201, response.get_json()
    [exception] = plausibility.plausibility_exceptions(batch)
    assert exception.reason == "Counter recalibrated; recount agrees."


def test_a_plausible_count_needs_no_reason(api):  # noqa: F811
    response = _post(api, _batch(), viable_cells=26_000_000)
    assert response.status_code == 201
