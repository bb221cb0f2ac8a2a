"""The API checked against its own OpenAPI document by a schema-driven fuzzer (issue 17,
defect 7): every /api/v1 operation, with a technician's and a clinician's token, answers
no 5xx, no status the document does not declare, and no body outside its schema.

Schemathesis generates valid and invalid requests from the document; the examples are
bounded and derandomised (a fixed seed), so the run is short and repeatable.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from labtrack.accounts import api_tokens
from tests import builders

EXAMPLES_PER_OPERATION = 5  # per operation and mode: bounded, so the suite stays quick
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance,
          content_type_conformance]
# Invalid requests (outside the document's schemas) must also be refused with a 4xx.
MODES = {GenerationMode.POSITIVE: CHECKS,
         GenerationMode.NEGATIVE: [*CHECKS, negative_data_rejection]}


def _fuzz(schema, token: str) -> list[str]:
    """Run every operation's examples; the labels of those that did not pass."""
    failed = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, checks in MODES.items():
            try:
                _examples(operation, mode, checks, token)()
            except Exception as error:  # noqa: BLE001 - reported with the operation's name
                failed.append(f"{operation.label} ({mode.value}): {str(error)[:1500]}")
    return failed


def _examples(operation, mode: GenerationMode, checks: list, token: str):
    """A Hypothesis test calling the app with ``operation``'s examples in ``mode``."""

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None,
              deadline=None, suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

    return run


@pytest.mark.parametrize("role", ["technician", "clinician"])
def test_every_api_operation_keeps_to_its_document(app, role):
    user = builders.user(role)
    builders.seeded_batch()  # a batch in culture, so the lists are not empty
    token = api_tokens.create_token(user, user, "Fuzzer")[1]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failed = _fuzz(schema, token)
    assert not failed, "\n\n".join(failed)
