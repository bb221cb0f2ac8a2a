"""A client's retry of an API write records once (``Idempotency-Key``; issue 16: a
repeated submit, whatever door it comes in by, records once and shows the first result).

A counter's middleware posts a count, the connection drops before the answer, and it
sends the same request again: with the same key, one count is recorded and the retry
gets the first answer back. Every response is checked against the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from labtrack.culture.models import CellCount
from labtrack.database import utcnow
from labtrack.extensions import db
from tests import builders
from tests.integration.api.test_api import Api, error_of, token_for


@pytest.fixture
def api(client):
    return Api(client)


def _counts(batch) -> int:
    return db.session.scalar(select(func.count()).select_from(CellCount).where(
        CellCount.batch_id == batch.id))


@pytest.fixture
def culture(app):
    """A batch in culture, counted four days ago."""
    batch = builders.seeded_batch(builders.order(builders.user("clinician")))
    builders.count(batch, 3_000_000, counted_at=utcnow() - timedelta(days=4))
    return batch


@pytest.fixture
def post_count(api):
    """Post a count, the same body each time in a test (one counting time), as a retry."""
    counted_at = (utcnow() - timedelta(hours=1)).replace(microsecond=0).isoformat()

    def post(batch, token, key=None, viable=4_000_000):
        headers = {"Idempotency-Key": key} if key is not None else {}
        return api.post(f"/batches/{batch.batch_number}/counts", token, headers=headers,
                        json={"viable_cells": viable, "dead_cells": 200_000,
                              "counted_at": counted_at})

    return post


def test_a_retry_with_the_same_key_records_once_and_gets_the_first_answer(
        api, post_count, culture):
    token, before = token_for("technician"), _counts(culture)
    first = post_count(culture, token, "count-7f3a")
    retry = post_count(culture, token, "count-7f3a")
    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _counts(culture) == before + 1


def test_the_same_key_for_a_different_request_is_refused(api, post_count, culture):
    token, before = token_for("technician"), _counts(culture)
    assert post_count(culture, token, "count-7f3a").status_code == 201
    other = post_count(culture, token, "count-7f3a", viable=5_000_000)
    assert other.status_code == 422
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert error_of(other)["field"] == "Idempotency-Key"
    assert _counts(culture) == before + 1


def test_keys_are_each_users_own(api, post_count, culture):
    before = _counts(culture)
    for token in (token_for("technician"), token_for("technician")):
        response = post_count(culture, token, "shared-key", viable=4_100_000)
        assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert _counts(culture) == before + 2


def test_without_a_key_each_request_records_as_before(api, post_count, culture):
    token, before = token_for("technician"), _counts(culture)
    assert post_count(culture, token).status_code == 201
    assert post_count(culture, token, viable=4_200_000).status_code == 201
    assert _counts(culture) == before + 2


def test_a_refusal_is_answered_again_the_same_way(api, post_count, culture):
    """A count refused (here: implausible, no reason) recorded nothing; its retry gets the
    same refusal, and a corrected request needs a new key."""
    token, before = token_for("technician"), _counts(culture)
    refused = post_count(culture, token, "count-8b", viable=900_000_000)
    again = post_count(culture, token, "count-8b", viable=900_000_000)
    assert refused.status_code == again.status_code == 422
    assert again.get_json() == refused.get_json() and again.headers["Idempotent-Replayed"]
    assert _counts(culture) == before


@pytest.mark.parametrize("key", ["", "has a space", "x" * 256, "clé"])
def test_a_malformed_key_is_refused_and_nothing_recorded(api, post_count, culture, key):
    token, before = token_for("technician"), _counts(culture)
    response = post_count(culture, token, key)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_idempotency_key"
    assert _counts(culture) == before


def test_a_key_on_a_read_changes_nothing(api, post_count, culture):
    token = token_for("clinician", builders.user("clinician"))
    first = api.get("/orders", token, headers={"Idempotency-Key": "read-1"})
    again = api.get("/orders", token, headers={"Idempotency-Key": "read-1"})
    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in again.headers
