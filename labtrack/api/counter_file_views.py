"""POST /api/v1/counter-files: a counter's PC sends its export file (multipart upload).

Without ``confirm=true`` the answer is the preview (every row, its batch, totals and
warnings) and nothing is stored; with it, the file is stored once and each row that can
be imported becomes a count, through the same use case as the import page.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import g, jsonify, request
from flask_babel import gettext as _

from labtrack.api.serialise import count_json
from labtrack.api.views import ApiError, bp
from labtrack.culture import batches, counter_import
from labtrack.culture.counter_import import AlreadyImported, Preview, PreviewRow
from labtrack.culture.counter_uploads import Upload
from labtrack.errors import PermissionDenied, ServiceError
from labtrack.web.policy import Area, may_use
from labtrack.web.security import require_order_access

VOLUME_FIELD = "volume_ml"
MAX_TEXT = 40


def _volume(name: str) -> Decimal | None:
    text = (request.form.get(name) or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text) if len(text) <= MAX_TEXT else Decimal("NaN")
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise ApiError(422, _("%(name)s must be a volume in mL above 0.", name=name[:MAX_TEXT]),
                       name[:MAX_TEXT])
    return value


def _volumes(upload_lines: list[int]) -> dict[int, Decimal | None]:
    """``volume_ml`` for every row, ``volume_ml_<line>`` for one row (it wins)."""
    every = _volume(VOLUME_FIELD)
    return {line: _volume(f"{VOLUME_FIELD}_{line}") or every for line in upload_lines}


def _number(value) -> float | None:
    return None if value is None else float(value)


def row_json(row: PreviewRow) -> dict:
    reading = row.reading
    return {
        "line": reading.line, "sample_id": reading.sample_id,
        "batch_number": row.batch.batch_number if row.batch else None,
        "counted_at": row.count_data.counted_at.isoformat() if row.count_data else None,
        "live_per_ml": float(reading.live_per_ml), "dead_per_ml": float(reading.dead_per_ml),
        "viability_percent": _number(reading.viability_percent),
        "volume_ml": _number(row.volume_ml) if row.asks_volume else None,
        "viable_cells": row.totals.viable_cells if row.totals else None,
        "dead_cells": row.totals.dead_cells if row.totals else None,
        "warnings": row.warnings, "problem": row.problem, "importable": row.importable}


def preview_json(found: Preview) -> dict:
    return {"sha256": found.upload.sha256, "filename": found.upload.filename,
            "format": found.file_format, "complete": found.complete,
            "rows": [row_json(row) for row in found.rows]}


def _upload() -> Upload:
    sent = request.files.get("file")
    if sent is None:
        raise ApiError(400, _("Send the counter's file as multipart/form-data, field file."),
                       "file")
    return Upload(sent.filename or "", sent.read())


def _only_batch():
    number = (request.form.get("batch_number") or "").strip()
    if not number:
        return None
    batch = batches.find_batch(number[:MAX_TEXT])
    if batch is None:
        raise ApiError(404, _("No batch has the number %(number)s.", number=number[:MAX_TEXT]))
    require_order_access(batch.order)
    return batch


@bp.post("/counter-files")
def import_counter_file():
    """Preview a counter file, or (``confirm=true``) import it."""
    if not may_use(g.api_user.role, Area.BENCH):
        raise ApiError(403, _("Only a lab technician's token may import cell counts."))
    upload, batch = _upload(), _only_batch()
    confirm = (request.form.get("confirm") or "").strip().lower() == "true"
    try:
        lines = [r.line for r in counter_import.read_upload(upload).readings]
        volumes = _volumes(lines)
        if not confirm:
            return jsonify(preview_json(counter_import.preview(g.api_user, upload, volumes,
                                                               batch)))
        result = counter_import.confirm(g.api_user, upload, volumes, batch)
    except PermissionDenied as error:
        raise ApiError(403, error.message) from None
    except AlreadyImported as error:
        raise ApiError(409, error.message, "file") from None
    except ServiceError as error:
        raise ApiError(422, error.message, error.field) from None
    response = jsonify(sha256=result.file.sha256, filename=result.file.filename,
                       format=result.file.file_format, batch_numbers=result.batch_numbers,
                       counts=[count_json(count) for count in result.counts])
    response.status_code = 201
    return response

