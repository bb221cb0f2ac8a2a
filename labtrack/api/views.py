"""JSON API /api/v1 for hospital systems: personal API tokens, JSON errors, no cookies.

Every request but the OpenAPI document needs ``Authorization: Bearer <token>``; a session
cookie is never enough. Reads are open to clinicians, QA and technicians; posting a count
to technicians (an automated counter runs under a technician's account). Errors are JSON
``{"error": {"code", "message", "field"}}`` with 400/401/403/404/405/409/422.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from labtrack.accounts import api_tokens
from labtrack.api import idempotency
from labtrack.api.openapi import MAX_CELLS, MAX_QUERY_INT, openapi_document
from labtrack.api.serialise import batch_json, count_json, dose_json, order_json
from labtrack.audit.capture import Actor, set_actor
from labtrack.clinic import readiness as readiness_service
from labtrack.clinic import summaries
from labtrack.clinic.administration import find_dose
from labtrack.clinic.readiness import ReadinessFilter, ReadinessSettings
from labtrack.clinic.rules.readiness import Status
from labtrack.culture import batches, counts
from labtrack.culture.counts import CountData
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch
from labtrack.culture.plausibility import Implausible
from labtrack.database import utcnow
from labtrack.errors import PermissionDenied, ServiceError
from labtrack.extensions import db
from labtrack.orders import orders
from labtrack.web.policy import Area, may_use
from labtrack.web.security import client_addr, require_order_access

bp = Blueprint("api", __name__, url_prefix="/api/v1")
API_PREFIX = "/api/"
READ_AREAS = (Area.BENCH, Area.QUALITY, Area.CLINIC)
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "validation_error",
         500: "internal_error"}
COUNT_FIELDS = ("viable_cells", "dead_cells", "total_cells", "viability_percent", "counted_at",
                "method", "passage_number", "plausibility_reason")
MAX_REASON = 1000
MAX_PASSAGE = 100
MAX_INT = MAX_QUERY_INT  # ids and page numbers fit an INTEGER column on every database
MAX_INT_DIGITS = 12
MAX_JSON_DEPTH = 8  # a count is one flat object


class ApiError(Exception):
    """An API refusal: HTTP status, a clear message and the input field concerned."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def is_api_request() -> bool:
    """True for any path under /api/ (errors there are JSON, never HTML)."""
    return request.path.startswith(API_PREFIX)


def error_response(status: int, message: str, field: str | None = None,
                   code: str | None = None):
    response = jsonify(error={"code": code or CODES.get(status, "bad_request"),
                              "message": message, "field": field})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="LabTrack API"'
    return response


def http_error(error: HTTPException):
    """A JSON response for an HTTP error under /api/ (unknown path, wrong method…)."""
    status = error.code or 500
    messages = {404: _("There is no such API resource."),
                405: _("This method is not allowed on this API resource."),
                500: _("Something went wrong on the server; nothing was changed.")}
    response = error_response(status if status in CODES else 400,
                              messages.get(status, error.description or error.name))
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@bp.errorhandler(ApiError)
def _refused(error: ApiError):
    db.session.rollback()
    return error_response(error.status, error.message, error.field)


@bp.errorhandler(idempotency.KeyRefused)
def _key_refused(error: idempotency.KeyRefused):
    db.session.rollback()
    return error_response(error.status, error.message, idempotency.HEADER, error.code)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return http_error(error)


@bp.errorhandler(500)
def _server_error(error):
    db.session.rollback()
    return http_error(error)


@bp.before_request
def authenticate():
    """The bearer token's user acts; cookies are ignored."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, _("Send a personal API token: Authorization: Bearer <token>."))
    found = api_tokens.authenticate(secret)
    if found is None:
        raise ApiError(401, _("This API token is not valid: it is unknown or revoked, or its "
                              "account is deactivated."))
    user, token = found
    g.api_user = user
    # Every change through the API names the token that made it in the audit trail.
    set_actor(db.session, Actor(user.id, user.username, client_addr(), token.id))
    if not any(may_use(user.role, area) for area in READ_AREAS):
        raise ApiError(403, _("Your role may not use the API."))


idempotency.register(bp)  # after authentication: a key is its user's


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _settings() -> ReadinessSettings:
    return ReadinessSettings.from_config(current_app.config)


def _int_arg(name: str, default: int | None = None, minimum: int | None = None) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text) if len(text) <= MAX_INT_DIGITS else None
    except ValueError:
        value = None
    if value is None or not -MAX_INT <= value <= MAX_INT:
        raise ApiError(400, _("%(name)s must be a whole number up to %(maximum)d.", name=name,
                              maximum=MAX_INT), name)
    if minimum is not None and value < minimum:
        raise ApiError(400, _("%(name)s must be at least %(minimum)d.", name=name,
                              minimum=minimum), name)
    return value


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(url_for(".openapi").rsplit("/", 1)[0]))


@bp.get("/orders")
def order_list():
    status = request.args.get("status")
    if status is not None and status not in {member.value for member in Status}:
        raise ApiError(400, _("Unknown status %(status)s.", status=status[:40]), "status")
    filters = ReadinessFilter(clinician_id=_int_arg("clinician_id"),
                              statuses=frozenset({Status(status)}) if status else None)
    page, per_page = _int_arg("page", 1, minimum=1), current_app.config["PAGE_SIZE"]
    summaries.ensure_fresh()
    found = readiness_service.readiness_page(filters, _settings(), page, per_page)
    return jsonify(items=[order_json(row) for row in found.items], page=page, per_page=per_page,
                   has_next=found.has_next, total=found.total)


def _order(order_number: str):
    order = orders.find_order(order_number[:40])
    if order is None:
        raise ApiError(404, _("No order has the number %(number)s.", number=order_number[:40]))
    require_order_access(order)
    return order


@bp.get("/orders/<order_number>")
def order_detail(order_number: str):
    return jsonify(order_json(readiness_service.order_readiness(_order(order_number),
                                                                _settings())))


@bp.get("/orders/<order_number>/doses")
def order_doses(order_number: str):
    order, now = _order(order_number), utcnow()
    rows = db.session.execute(
        select(Dose, Batch, Administration).join(Batch, Batch.id == Dose.batch_id)
        .outerjoin(Administration, Administration.dose_id == Dose.id)
        .where(Batch.order_id == order.id, Dose.superseded_by_id.is_(None))
        .order_by(Batch.id, Dose.id))
    return jsonify(items=[dose_json(dose, batch, given, now) for dose, batch, given in rows])


@bp.get("/doses/<dose_code>")
def dose_detail(dose_code: str):
    dose = find_dose(dose_code)
    if dose is None:
        raise ApiError(404, _("No dose has the code %(code)s.", code=dose_code[:40]))
    batch = db.session.get(Batch, dose.batch_id)
    require_order_access(batch.order)
    given = db.session.scalar(select(Administration).where(Administration.dose_id == dose.id))
    return jsonify(dose_json(dose, batch, given, utcnow()))


def _batch(batch_number: str) -> Batch:
    batch = batches.find_batch(batch_number[:40])
    if batch is None:
        raise ApiError(404, _("No batch has the number %(number)s.", number=batch_number[:40]))
    require_order_access(batch.order)
    return batch


@bp.get("/batches/<batch_number>")
def batch_detail(batch_number: str):
    batch = _batch(batch_number)
    return jsonify(batch_json(batch, readiness_service.batch_growth(batch, _settings())))


@bp.post("/batches/<batch_number>/counts")
def log_count(batch_number: str):
    """Log a count (source "api"), then check whether the batch has become at risk."""
    if not may_use(g.api_user.role, Area.BENCH):
        raise ApiError(403, _("Only a lab technician's token may log cell counts."))
    batch = _batch(batch_number)
    data = count_data(_json_object())
    try:
        count = counts.record_count(g.api_user, batch, data)
    except PermissionDenied as error:
        raise ApiError(403, error.message) from None
    except batches.BatchLocked as error:
        raise ApiError(409, error.message) from None
    except Implausible as error:
        raise ApiError(422, error.message + " " + _(
            "Check the value; to record it as it is, send it again with "
            "plausibility_reason saying why it is right."), error.field) from None
    except ServiceError as error:
        raise ApiError(422 if error.field else 409, error.message, error.field) from None
    growth = readiness_service.batch_growth(batch, _settings())
    response = jsonify(count=count_json(count), batch=batch_json(batch, growth))
    response.status_code = 201
    response.headers["Location"] = url_for(".batch_detail", batch_number=batch.batch_number)
    return response


def _json_depth(value, depth: int = 1) -> int:
    if depth > MAX_JSON_DEPTH or not isinstance(value, dict | list):
        return depth
    children = value.values() if isinstance(value, dict) else value
    return max((_json_depth(child, depth + 1) for child in children), default=depth)


def _json_object() -> dict:
    if (request.content_length or 0) > current_app.config["MAX_JSON_BYTES"]:
        raise ApiError(413, _("The JSON body is too large (at most %(n)d bytes).",
                              n=current_app.config["MAX_JSON_BYTES"]))
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested far deeper than any count: refused, not a crash
        body = None
    if body is not None and _json_depth(body) > MAX_JSON_DEPTH:
        raise ApiError(400, _("The JSON body is nested too deeply."))
    if not isinstance(body, dict):
        raise ApiError(400, _("Send a JSON object with Content-Type: application/json."))
    return body


def _whole(body: dict, name: str, maximum: int, required: bool = False) -> int | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ApiError(422, _("%(name)s must be a whole number from 0 to %(maximum)s.",
                              name=name, maximum=maximum), name)
    return value


def _viability(body: dict) -> Decimal | None:
    value = body.get("viability_percent")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not 0 <= value <= 100:
        raise ApiError(422, _("viability_percent must be a number from 0 to 100."),
                       "viability_percent")
    return Decimal(str(value))


def _counted_at(body: dict) -> datetime:
    text = body.get("counted_at")
    if text is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise ApiError(422, _("counted_at must be an ISO 8601 date and time with a UTC offset, "
                              "e.g. 2026-05-04T09:30:00+02:00."), "counted_at")
    return moment


def count_data(body: dict) -> CountData:
    """A count from the JSON body, or a 422 naming the field that is wrong."""
    unknown = sorted(set(body) - set(COUNT_FIELDS))
    if unknown:
        raise ApiError(422, _("Unknown field %(name)s.", name=str(unknown[0])[:40]),
                       str(unknown[0])[:40])
    method = body.get("method", "automated")
    if method not in counts.METHODS:
        raise ApiError(422, _("method must be one of: %(methods)s.",
                              methods=", ".join(counts.METHODS)), "method")
    return CountData(
        counted_at=_counted_at(body), method=method,
        viable_cells=_whole(body, "viable_cells", MAX_CELLS, required=True),
        dead_cells=_whole(body, "dead_cells", MAX_CELLS),
        total_cells=_whole(body, "total_cells", MAX_CELLS),
        viability_percent=_viability(body),
        passage_number=_whole(body, "passage_number", MAX_PASSAGE), source="api",
        plausibility_reason=_reason(body))


def _reason(body: dict) -> str | None:
    reason = body.get("plausibility_reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise ApiError(422, _("plausibility_reason must be text of at most %(maximum)s "
                              "characters.", maximum=MAX_REASON), "plausibility_reason")
    return reason
