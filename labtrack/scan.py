"""The header's scan box: open the record a barcode (or typed identifier) names."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from labtrack.culture import batches
from labtrack.culture.dose_models import Dose
from labtrack.culture.models import Batch
from labtrack.extensions import db
from labtrack.identity.rules import isbt128
from labtrack.orders import orders
from labtrack.samples import receipt as samples
from labtrack.web.templating import batch_url

bp = Blueprint("scan", __name__)
MAX_CODE = 100


def _dose_url(code: str) -> str | None:
    dose = db.session.scalar(select(Dose).where(func.upper(Dose.dose_code) == code.upper()))
    if dose is None:
        return None
    return batch_url(db.session.get(Batch, dose.batch_id))


def _din_url(code: str) -> tuple[str | None, str | None]:
    """The sample page for a DIN, or why the code looked like a DIN but failed its check."""
    try:
        din = isbt128.parse_din(code)
    except isbt128.DinError as error:
        if error.code in ("check_character", "check_flags"):
            return None, samples.din_error_message(error)
        return None, None
    sample = samples.find_sample(din.text)
    return (url_for("samples.detail", din=sample.din) if sample else None), None


def resolve(code: str) -> tuple[str | None, str | None]:
    """(URL of the record the code names, or None; a hint about a misread DIN, or None)."""
    url, hint = _din_url(code)
    if url or hint:
        return url, hint
    batch = batches.find_batch(code)
    if batch is not None:
        return batch_url(batch), None
    order = orders.find_order(code)
    if order is not None:
        return url_for("orders.detail", order_number=order.order_number), None
    return _dose_url(code), None


@bp.route("/scan")
def lookup():
    """A DIN (with or without ``=`` and flags), batch number, order number or dose code."""
    code = " ".join((request.args.get("code") or "").split())[:MAX_CODE]
    if not code:
        return render_template("scan/index.html", code="", message=None, hint=None)
    url, hint = resolve(code)
    if url:
        return redirect(url)
    message = _("No record matches “%(code)s”.", code=code)
    return render_template("scan/index.html", code=code, message=message, hint=hint), 404
