"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

It is the contract the tests hold the API to: every response the API tests receive is
validated against the schema given here for its path, method and status code.
"""

from __future__ import annotations

from copy import deepcopy

from labtrack.clinic.rules.adverse_events import Action, Causality, Outcome, Seriousness, Severity
from labtrack.clinic.rules.followup import Analgesics, PainScale, Pgic
from labtrack.clinic.rules.readiness import Status
from labtrack.culture.rules.counting import CountMethod
from labtrack.culture.rules.growth import NoProjectionReason

# The document's enums are the rules' own (one vocabulary).
STATUSES = [status.value for status in Status]
NO_PROJECTION_REASONS = [reason.value for reason in NoProjectionReason]
COUNT_METHODS = [method.value for method in CountMethod]
PRODUCT_CODE_PATTERN = "^[A-Z][A-Z0-9]{4}[A-Za-z0-9][A-Z0-9][a-z0-9]$"  # isbt128, DS003
NULL_STRING = {"type": ["string", "null"]}
NULL_DATE = {"type": ["string", "null"], "format": "date"}
NULL_TIME = {"type": ["string", "null"], "format": "date-time"}
TIME = {"type": "string", "format": "date-time"}
INT = {"type": "integer"}
NULL_INT = {"type": ["integer", "null"]}
NULL_NUMBER = {"type": ["number", "null"]}
MAX_CELLS = 10**13
MAX_QUERY_INT = 2**31 - 1  # ids and page numbers the database can hold
PAIN_SCALES = [scale.value for scale in PainScale]
PGIC = [value.value for value in Pgic]
ANALGESICS = [value.value for value in Analgesics]
SERIOUSNESS = [value.value for value in Seriousness]
SEVERITIES = [value.value for value in Severity]
CAUSALITY = [value.value for value in Causality]
ACTIONS = [value.value for value in Action]
OUTCOMES = [value.value for value in Outcome]
# The API counts whole cells, where the pages show millions (× 10⁶).
WHOLE_CELLS = "Whole cells, not millions: 23860000 is the 23.86 × 10⁶ a page shows."
CELLS = {"type": "integer", "description": WHOLE_CELLS}
NULL_CELLS = {"type": ["integer", "null"], "description": WHOLE_CELLS}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": list(properties) if required is None else required}


def _list_of(name: str) -> dict:
    return {"type": "array", "items": _ref(name)}


# Stable error codes: one per HTTP status, and the idempotency key's own (idempotency.py).
ERROR_CODES = ["bad_request", "unauthorized", "forbidden", "not_found", "method_not_allowed",
               "conflict", "too_large", "validation_error", "internal_error",
               "invalid_idempotency_key", "idempotency_key_reused", "request_in_progress"]

SCHEMAS = {
    "Error": _object({"error": _object({
        "code": {"type": "string", "enum": ERROR_CODES},
        "message": {"type": "string"},
        "field": NULL_STRING})}),
    "Alert": _object({"code": {"type": "string"}, "message": {"type": "string"}}),
    "LevelProgress": _object({"disc_level": {"type": "string"}, "cells": NULL_CELLS,
                              "fraction": {"type": "number", "minimum": 0}}),
    "ReadyDate": {"oneOf": [{"type": "null"}, _object({
        "date": {"type": "string", "format": "date"},
        "earliest": {"type": "string", "format": "date"}, "latest": NULL_DATE})]},
    "Projection": {"oneOf": [
        {"type": "null"},
        _object({"projected_at": TIME, "earliest_at": TIME, "latest_at": NULL_TIME,
                 "doubling_time_days": {"type": "number"}, "points_used": INT}),
        _object({"reason": {"type": "string", "enum": NO_PROJECTION_REASONS},
                 "reached_at": NULL_TIME})]},
    "Readiness": _object({
        "status": {"type": "string", "enum": STATUSES},
        "status_label": {"type": "string"},
        "alerts": _list_of("Alert"),
        "culture_day": NULL_INT,
        "cells_now": NULL_CELLS,
        "target_cells": CELLS,
        "progress": NULL_NUMBER,
        "levels": _list_of("LevelProgress"),
        "projection": _ref("Projection"),
        "projected_ready": _ref("ReadyDate"),
        "ready_by": {"type": "string", "format": "date"},
        "pending_tests": {"type": "array", "items": {"type": "string"}},
        "failed_after_release": {"type": "array", "items": {"type": "string"}}}),
    "DoseStatus": _object({
        "dose_code": {"type": "string"}, "batch_number": NULL_STRING,
        "disc_level": {"type": "string"}, "viable_cells": CELLS, "expires_at": TIME,
        "expired": {"type": "boolean"}, "seconds_left": {"type": "integer", "minimum": 0},
        "administered_at": NULL_TIME}),
    "Order": _object({
        "order_number": {"type": "string"},
        "patient": _object({"record_number": {"type": "string"}, "name": {"type": "string"}}),
        "treating_clinician": {"type": "string"},
        "disc_levels": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "cells_per_disc": CELLS,
        "planned_procedure_date": {"type": "string", "format": "date"},
        "batch_number": NULL_STRING,
        "readiness": _ref("Readiness"),
        "doses": _list_of("DoseStatus")}),
    "OrderList": _object({"items": _list_of("Order"), "page": {"type": "integer", "minimum": 1},
                          "per_page": INT, "has_next": {"type": "boolean"},
                          "total": {**NULL_INT, "description":
                                    "How many orders match; null when more than 1,000."}}),
    "Dose": _object({
        "dose_code": {"type": "string"}, "batch_number": {"type": "string"},
        "din": {"type": "string", "pattern": "^[A-NP-Z1-9][0-9]{12}$",
                "description": "The donation's ISBT 128 DIN (13 characters)."},
        "product_code": {"type": "string", "pattern": PRODUCT_CODE_PATTERN,
                         "description": "ISBT 128 product code; its last two characters "
                                        "(the division) tell a donation's doses apart."},
        "order_number": {"type": "string"}, "disc_level": {"type": "string"},
        "viable_cells": CELLS, "volume_ml": {"type": "number"}, "formulated_at": TIME,
        "expires_at": TIME, "released": {"type": "boolean"}, "expired": {"type": "boolean"},
        "superseded": {"type": "boolean", "description":
                       "Replaced by a formulation correction before release: its label is "
                       "void and it is never administered (nor released)."},
        "seconds_left": {"type": "integer", "minimum": 0}, "administered_at": NULL_TIME}),
    "DoseList": _object({"items": _list_of("Dose")}),
    "Count": _object({
        "id": INT, "counted_at": TIME, "method": {"type": "string"}, "viable_cells": CELLS,
        "dead_cells": CELLS, "viability_percent": {"type": "number"}, "passage_number": INT,
        "source": {"type": "string"}}),
    "Batch": _object({
        "batch_number": {"type": "string"}, "order_number": {"type": "string"},
        "state": {"type": "string"}, "state_label": {"type": "string"},
        "started_at": TIME, "seeded_at": NULL_TIME, "harvested_at": NULL_TIME,
        "culture_day": NULL_INT, "target_cells": CELLS, "progress": NULL_NUMBER,
        "projection": _ref("Projection"), "projected_ready": _ref("ReadyDate"),
        "at_risk": {"type": "boolean"}, "counts": _list_of("Count")}),
    "CountInput": {
        "type": "object", "additionalProperties": False, "required": ["viable_cells"],
        "anyOf": [{"required": ["dead_cells"]}, {"required": ["total_cells"]}],
        "description": "Give dead_cells or total_cells (or both) with the viable cells.",
        "properties": {
            "viable_cells": {"type": "integer", "minimum": 0, "maximum": MAX_CELLS,
                             "description": "Total viable cells in the culture. "
                                            + WHOLE_CELLS},
            "dead_cells": {"type": "integer", "minimum": 0, "maximum": MAX_CELLS,
                           "description": "Dead cells; give this or total_cells. "
                                          + WHOLE_CELLS},
            "total_cells": {"type": "integer", "minimum": 0, "maximum": MAX_CELLS,
                            "description": WHOLE_CELLS},
            "viability_percent": {"type": "number", "minimum": 0, "maximum": 100,
                                  "description": "Checked against the cells (±1 %)."},
            "counted_at": {"type": "string", "format": "date-time",
                           "description": "With a UTC offset; default: now."},
            "method": {"type": "string", "enum": COUNT_METHODS,
                       "default": "automated"},
            "passage_number": {"type": "integer", "minimum": 0, "maximum": 100,
                               "description": "Default: the batch's current passage."},
            "plausibility_reason": {
                "type": "string", "maxLength": 1000,
                "description": "Why a count past a soft plausibility limit is right (a "
                               "doubling time shorter than the protocol's minimum, far "
                               "above the projection or the target, below what a "
                               "passage's split ratio explains). Without it such a count "
                               "is refused with 422 naming the limit; with it the count is "
                               "recorded with the warning and this reason, shown on the "
                               "batch page and in the release record. Ignored for a "
                               "plausible count. A count beyond what the culture's "
                               "surface can hold is refused whatever the reason."}}},
    "CountCreated": _object({"count": _ref("Count"), "batch": _ref("Batch")}),
    "CounterFileUpload": {
        "type": "object", "required": ["file"],
        "properties": {
            "file": {"type": "string", "contentMediaType": "application/octet-stream",
                     "description": "The counter's export file, unchanged: NucleoCounter "
                                    "NC-202 (NC-View CSV) or NC-200 (NucleoView), Vi-CELL BLU "
                                    "or XR. UTF-8 or UTF-16; recognised by its content."},
            "batch_number": {"type": "string", "description": "Import only this batch's rows."},
            "volume_ml": {"type": "string", "description": "Suspension volume counted (mL), "
                                                           "for every row."},
            "confirm": {"type": "string", "enum": ["true", "false"], "default": "false",
                        "description": "true imports; otherwise only the preview is "
                                       "returned and nothing is stored."}},
        "patternProperties": {"^volume_ml_[0-9]+$": {
            "type": "string", "description": "The volume (mL) of the row on that line."}}},
    "CounterFileRow": _object({
        "line": INT, "sample_id": {"type": "string"}, "batch_number": NULL_STRING,
        "counted_at": NULL_TIME, "live_per_ml": {"type": "number"},
        "dead_per_ml": {"type": "number"}, "viability_percent": NULL_NUMBER,
        "volume_ml": NULL_NUMBER, "viable_cells": NULL_CELLS, "dead_cells": NULL_CELLS,
        "warnings": {"type": "array", "items": {"type": "string"}},
        "problem": {**NULL_STRING, "description": "Why the row cannot be imported."},
        "importable": {"type": "boolean"}}),
    "CounterFilePreview": _object({
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "filename": {"type": "string"}, "format": {"type": "string"},
        "complete": {"type": "boolean", "description": "true when confirm=true would import"},
        "rows": _list_of("CounterFileRow")}),
    "CounterFileImported": _object({
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "filename": {"type": "string"}, "format": {"type": "string"},
        "batch_numbers": {"type": "array", "items": {"type": "string"}},
        "counts": _list_of("Count")}),
}


def _json(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema)}}}


def _errors(*codes: int) -> dict:
    text = {400: "Malformed request", 401: "Missing, invalid or revoked token",
            403: "The token's role may not do this", 404: "Not found",
            405: "Method not allowed", 409: "Conflicts with the record's state",
            413: "The request body is too large", 422: "Invalid input"}
    return {str(code): _json("Error", text[code]) for code in codes}


def _path_param(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "maxLength": 40}}


def _get(summary: str, schema: str, *errors: int, parameters: list | None = None) -> dict:
    return {"get": {"summary": summary, "parameters": parameters or [],
                    "responses": {"200": _json(schema, "OK"), **_errors(401, 403, 405, *errors)}}}


ORDER_FILTERS = [
    {"name": "status", "in": "query", "required": False,
     "schema": {"type": "string", "enum": STATUSES}},
    {"name": "clinician_id", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": -MAX_QUERY_INT, "maximum": MAX_QUERY_INT}},
    {"name": "page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT}},
]
ORDER = _path_param("order_number", "e.g. ORD-2026-0001")
BATCH = _path_param("batch_number", "e.g. MSC-2026-0001")
DOSE = _path_param("dose_code", "as printed on the dose label")
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Any unique text the client chooses for this write (e.g. a UUID). The "
                   "same key sent again with the same request returns the first answer "
                   "(header Idempotent-Replayed: true) and records nothing; with a different "
                   "request it is refused (422, idempotency_key_reused); while the first "
                   "is still running, 409 (request_in_progress). Keys are per user.",
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"}}
REPLAYED = {"Idempotent-Replayed": {
    "description": "true when this is the kept answer to an earlier request with the same "
                   "Idempotency-Key", "schema": {"type": "string", "enum": ["true"]}}}


def _created(schema: str, description: str) -> dict:
    return {**_json(schema, description), "headers": REPLAYED}

PATHS = {
    "/orders": _get("Treatment orders with their readiness, soonest procedure first",
                    "OrderList", 400, parameters=ORDER_FILTERS),
    "/orders/{order_number}": _get("One order with its readiness", "Order", 404,
                                   parameters=[ORDER]),
    "/orders/{order_number}/doses": _get("The order's doses", "DoseList", 404,
                                         parameters=[ORDER]),
    "/doses/{dose_code}": _get("One dose", "Dose", 404, parameters=[DOSE]),
    "/batches/{batch_number}": _get("A batch with its progress and projection", "Batch", 404,
                                    parameters=[BATCH]),
    "/batches/{batch_number}/counts": {"post": {
        "summary": "Log a cell count from an automated counter (technicians' tokens)",
        "description": "Cells are whole cells. A count past a soft plausibility limit is "
                       "refused (422, field viable_cells) unless the body carries "
                       "plausibility_reason.",
        "parameters": [BATCH, IDEMPOTENCY_KEY],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("CountInput")}}},
        "responses": {"201": _created("CountCreated", "Logged"),
                      **_errors(400, 401, 403, 404, 405, 409, 413, 422)}}},
    "/counter-files": {"post": {
        "summary": "Preview or import a cell counter's export file (technicians' tokens)",
        "parameters": [IDEMPOTENCY_KEY],
        "requestBody": {"required": True, "content": {
            "multipart/form-data": {"schema": _ref("CounterFileUpload")}}},
        "responses": {"200": _json("CounterFilePreview", "The preview; nothing stored"),
                      "201": _created("CounterFileImported", "Imported"),
                      **_errors(400, 401, 403, 404, 405, 409, 413, 422)}}},
    "/openapi.json": {"get": {
        "summary": "This document (no token needed)", "security": [],
        "responses": {"200": {"description": "The OpenAPI document", "content": {
            "application/json": {"schema": {"type": "object",
                                            "required": ["openapi", "info", "paths"]}}}},
            **_errors(405)}}},
}


# --- After the injection: follow-up visits and adverse events (issue 21) --------------------
SCHEMAS.update({
    "DiscImaging": _object({"disc_level": {"type": "string"},
                            "pfirrmann_grade": {"type": ["integer", "null"], "minimum": 1,
                                                "maximum": 5},
                            "disc_height_mm": NULL_NUMBER, "t2_signal": NULL_NUMBER}),
    "FollowUpVisit": _object({
        "id": INT, "visit": {"type": "string", "description": "e.g. baseline, month_3"},
        "visit_date": {"type": "string", "format": "date"},
        "pain_scale": {"type": "string", "enum": PAIN_SCALES},
        "back_pain": NULL_INT, "leg_pain": NULL_INT,
        "odi_percent": {**NULL_NUMBER, "description": "Oswestry Disability Index 2.1a, %"},
        "odi_answers": {"type": ["array", "null"], "items": {"type": ["integer", "null"]},
                        "description": "The ten sections, 0-5; null when unanswered"},
        "pgic": {"type": ["string", "null"], "enum": [*PGIC, None]},
        "analgesics": {"type": ["string", "null"], "enum": [*ANALGESICS, None]},
        "notes": NULL_STRING, "mri": _list_of("DiscImaging"),
        "corrects": {**NULL_INT, "description": "The id of the visit entry this corrects"},
        "correction_reason": NULL_STRING, "recorded_at": TIME}),
    "FollowUpVisitList": _object({"items": _list_of("FollowUpVisit")}),
    "AdverseEvent": _object({
        "id": INT, "onset_date": {"type": "string", "format": "date"},
        "description": {"type": "string"}, "serious": {"type": "boolean"},
        "seriousness_criteria": {"type": "array",
                                 "items": {"type": "string", "enum": SERIOUSNESS}},
        "severity": {"type": "string", "enum": SEVERITIES},
        "causality_product": {"type": "string", "enum": CAUSALITY},
        "causality_procedure": {"type": "string", "enum": CAUSALITY},
        "action_taken": {"type": "string", "enum": ACTIONS},
        "outcome": {"type": "string", "enum": OUTCOMES}, "din": NULL_STRING,
        "batch_number": NULL_STRING, "dose_code": NULL_STRING,
        "corrects": NULL_INT, "correction_reason": NULL_STRING, "reported_at": TIME}),
    "AdverseEventList": _object({"items": _list_of("AdverseEvent")}),
})
PATHS.update({
    "/orders/{order_number}/follow-up-visits": _get(
        "The order's follow-up visits in force (a correction replaces what it corrects)",
        "FollowUpVisitList", 404, parameters=[ORDER]),
    "/orders/{order_number}/adverse-events": _get(
        "The order's adverse events in force, linked to dose, batch and DIN",
        "AdverseEventList", 404, parameters=[ORDER]),
})


def openapi_document(server_url: str = "/api/v1") -> dict:
    """The OpenAPI 3.1 document (a fresh copy each call)."""
    return deepcopy({
        "openapi": "3.1.0",
        "info": {"title": "LabTrack API", "version": "1.0.0",
                 "description": "Orders and their dose readiness, batches with progress and "
                                "projection, doses, and cell counts from automated counters "
                                "(one at a time, or their export files). "
                                "Authenticate with a personal API token: "
                                "`Authorization: Bearer <token>`. Session cookies are not "
                                "accepted. Errors are JSON with a message. Cell numbers are "
                                "whole cells (23860000), never millions as the pages show "
                                "them (23.86 × 10⁶)."},
        "servers": [{"url": server_url}],
        "security": [{"bearerToken": []}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearerToken": {"type": "http", "scheme": "bearer",
                            "description": "A personal API token (created on the API tokens "
                                           "page)."}}},
    })
