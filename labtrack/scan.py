"""The header's scan box: open the record a barcode (or typed identifier) names.

The scan is posted, never put in the URL, so what was scanned (a DIN, a dose) stays out
of access logs and browser history.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from labtrack.clinic import bedside_scan
from labtrack.clinic.rules.bedside import DoseIdentity
from labtrack.culture import batches
from labtrack.culture.dose_models import Dose
from labtrack.culture.models import Batch
from labtrack.extensions import db
from labtrack.identity.rules import isbt128
from labtrack.identity.rules.scans import ScanKind, read_scan
from labtrack.orders import orders
from labtrack.samples import receipt as samples
from labtrack.web.templating import batch_url

bp = Blueprint("scan", __name__)
MAX_CODE = 100


def _dose_url(dose: Dose | None) -> str | None:
    return batch_url(db.session.get(Batch, dose.batch_id)) if dose is not None else None


def _typed_dose(code: str) -> Dose | None:
    return db.session.scalar(select(Dose).where(func.upper(Dose.dose_code) == code.upper()))


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


def _label_url(code: str) -> tuple[str | None, str | None] | None:
    """A dose label's 2-D code opens its dose; a product code or expiry alone cannot."""
    try:
        scan = read_scan(code)
    except isbt128.Isbt128Error:
        return None
    if scan.kind is ScanKind.COMPOUND and scan.din and scan.product_code:
        identity = DoseIdentity(scan.din, scan.product_code)
        return _dose_url(bedside_scan.find_labelled(identity)), None
    if scan.kind in (ScanKind.PRODUCT_CODE, ScanKind.EXPIRY):
        return None, _("A product code or an expiry date alone does not say which donation "
                       "it is: scan the label's DIN or its 2-D code.")
    return None


def resolve(code: str) -> tuple[str | None, str | None]:
    """(URL of the record the code names, or None; a hint about a misread code, or None)."""
    label = _label_url(code)
    if label is not None:
        return label
    url, hint = _din_url(code)
    if url or hint:
        return url, hint
    batch = batches.find_batch(code)
    if batch is not None:
        return batch_url(batch), None
    order = orders.find_order(code)
    if order is not None:
        return url_for("orders.detail", order_number=order.order_number), None
    return _dose_url(_typed_dose(code)), None


@bp.route("/scan", methods=["GET", "POST"])
def lookup():
    """A DIN (with or without ``=`` and flags), batch, order or dose code, a dose label."""
    code = " ".join((request.form.get("code") or "").split())[:MAX_CODE]
    if request.method == "GET" or not code:
        return render_template("scan/index.html", code="", message=None, hint=None)
    url, hint = resolve(code)
    if url:
        return redirect(url, 303)
    message = _("No record matches “%(code)s”.", code=code)
    return render_template("scan/index.html", code=code, message=message, hint=hint), 404
