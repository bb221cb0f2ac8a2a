"""POST /api/v1/counter-files on both databases: preview, import, refusals; every response
checked against the OpenAPI document."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from labtrack.culture.models import CellCount, CounterFile
from labtrack.extensions import db
from tests import builders, counter_files
from tests.integration.api.test_api import Api, error_of, token_for
from tests.integration.culture.counter_import_helpers import file_time


@pytest.fixture
def api(client):
    return Api(client)


def stored() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(CounterFile)),
            db.session.scalar(select(func.count()).select_from(CellCount)))


def send(api, token, content: bytes, **fields):
    data = {"file": (io.BytesIO(content), "vicell.csv"), **fields}
    return api.post("/counter-files", token, data=data, content_type="multipart/form-data")


@pytest.fixture
def blu_file(app):
    batch = builders.seeded_batch()
    content = counter_files.vicell_blu(
        {"sample": batch.batch_number, "when": file_time(fmt="%Y-%m-%d %H:%M:%S"),
         "total": "1.20", "viable": "1.14", "viability": "95.0",
         "reanalysed": file_time(0.5)},
        {"sample": "NOT-A-BATCH", "when": file_time(), "total": "1.0", "viable": "0.9",
         "viability": "90.0"})
    return batch, content


def test_without_confirm_the_answer_is_the_preview_and_nothing_is_stored(api, blu_file):
    batch, content = blu_file
    response = send(api, token_for("technician"), content, volume_ml="10")
    assert response.status_code == 200
    body = response.get_json()
    assert body["format"] == "vicell_blu" and body["complete"] is True
    first, unknown = body["rows"]
    assert (first["batch_number"], first["viable_cells"], first["dead_cells"]) == (
        batch.batch_number, 11_400_000, 600_000)
    assert any("Reanalysed" in warning for warning in first["warnings"])
    assert unknown["importable"] is False and "Unknown sample id" in unknown["problem"]
    assert stored() == (0, 0)


def test_confirm_imports_once_and_the_same_file_again_is_409(api, blu_file):
    batch, content = blu_file
    token = token_for("technician")
    response = send(api, token, content, volume_ml="10", volume_ml_4="12", confirm="true")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["batch_numbers"] == [batch.batch_number]
    assert [(c["viable_cells"], c["method"]) for c in body["counts"]] == [
        (13_680_000, "automated")]
    count = db.session.scalar(select(CellCount))
    assert count.instrument_serial == "VCB-2041" and count.operator == "marta"
    assert db.session.get(CounterFile, count.counter_file_id).content == content
    again = send(api, token, content, volume_ml="10", confirm="true")
    assert again.status_code == 409 and "cannot be imported twice" in error_of(again)["message"]
    assert stored() == (1, 1)


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({}, 422, "give the suspension volume"),
    ({"volume_ml": "-1"}, 422, "volume_ml must be a volume in mL above 0."),
    ({"volume_ml": "ten"}, 422, "volume_ml must be a volume in mL above 0."),
    ({"volume_ml": "10", "batch_number": "MSC99-0000"}, 404, "No batch has the number"),
])
def test_confirming_without_what_it_needs_is_refused(api, blu_file, fields, status, message):
    _batch, content = blu_file
    response = send(api, token_for("technician"), content, confirm="true", **fields)
    assert response.status_code == status and message in error_of(response)["message"]
    assert stored() == (0, 0)


def test_a_truncated_file_and_no_file_are_refused(api, blu_file):
    _batch, content = blu_file
    token = token_for("technician")
    cut = send(api, token, content[:-40], volume_ml="10", confirm="true")
    assert cut.status_code == 422 and "cut short" in error_of(cut)["message"]
    none = api.post("/counter-files", token, data={"volume_ml": "10"},
                    content_type="multipart/form-data")
    assert none.status_code == 400 and error_of(none)["field"] == "file"
    assert stored() == (0, 0)


@pytest.mark.parametrize("role", ["qa", "clinician"])
def test_only_a_technicians_token_may_import(api, blu_file, role):
    _batch, content = blu_file
    response = send(api, token_for(role), content, volume_ml="10", confirm="true")
    assert response.status_code == 403
    assert stored() == (0, 0)
