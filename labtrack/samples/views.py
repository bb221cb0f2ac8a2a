"""Sample receipt at the bench: orders awaiting a sample, receipt, sample pages, labels."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.culture import harvest
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.identity import printing
from labtrack.identity.label_layout import Stock
from labtrack.identity.printing import MIME_TYPES, PrintRequest
from labtrack.identity.rules import isbt128
from labtrack.identity.rules.isbt128 import as_din
from labtrack.identity.terms import label_kind_label
from labtrack.orders import orders
from labtrack.orders.models import TreatmentOrder
from labtrack.orders.terms import authorisation_message
from labtrack.samples import receipt as samples
from labtrack.samples.forms import ReceiptForm
from labtrack.samples.receipt import ReceiptOutcome
from labtrack.samples.terms import failed_rule_message, sample_status_label
from labtrack.web.forms import show_service_error
from labtrack.web.pagination import list_page
from labtrack.web.policy import Area, may_use
from labtrack.web.security import requires_area
from labtrack.web.templating import lab_now, lab_today

bp = Blueprint("samples", __name__, url_prefix="/samples")
bp.add_app_template_filter(sample_status_label, "sample_status")
bp.add_app_template_filter(label_kind_label, "label_kind")
bp.add_app_template_filter(as_din, "as_din")


@bp.route("")
@requires_area(Area.BENCH, Area.QUALITY)
def index():
    return render_template("samples/index.html", page=list_page(samples.samples_query()))


@bp.route("/awaiting")
@requires_area(Area.BENCH)
def awaiting():
    page = list_page(samples.orders_awaiting_sample())
    progress = {order.id: samples.order_progress(order) for order in page.items}
    return render_template("samples/awaiting.html", page=page, progress=progress)


def _failed_codes(failed) -> str:
    return ",".join(sorted(rule.code for rule in failed))


def _receive(order: TreatmentOrder, form: ReceiptForm, data) -> ReceiptOutcome | None:
    try:
        return samples.receive_sample(current_user, order, data, _rules(),
                                      current_app.config["FACILITY_ID"])
    except samples.IdentityMismatch as error:
        show_service_error(form, error)
        flash(error.message, "error")
    except ServiceError as error:
        show_service_error(form, error)
    return None


def _decide(order: TreatmentOrder, form: ReceiptForm) -> tuple[ReceiptOutcome | None, list]:
    """Record the receipt, unless broken rules still await the technician's decision."""
    data = form.receipt_data()
    try:
        failed = samples.preview_receipt(data, _rules())
    except ServiceError as error:
        show_service_error(form, error)
        return None, []
    if failed and form.reviewed_failures.data != _failed_codes(failed):
        form.reviewed_failures.data = _failed_codes(failed)  # shown; the next submit decides
        return None, failed
    return _receive(order, form, data), failed


def _rules():
    return samples.rules_from_config(current_app.config)


def _flash_outcome(outcome: ReceiptOutcome) -> None:
    if outcome.batch is None:
        flash(_("Sample rejected: a new collection is needed."), "error")
    elif outcome.deviation is not None:
        flash(_("Sample accepted with deviation %(deviation)s. Batch %(batch)s has started.",
                deviation=outcome.deviation.number, batch=outcome.batch.batch_number),
              "warning")
    else:
        flash(_("Sample accepted. Batch %(batch)s has started.",
                batch=outcome.batch.batch_number), "success")


@bp.route("/receive/<order_number>", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def receive(order_number: str):
    order = orders.find_order(order_number) or abort(404)
    progress = samples.order_progress(order)
    if order.cancelled_reason:
        flash(_("Order %(number)s is cancelled: no sample can be received for it.",
                number=order.order_number), "error")
        return redirect(url_for("orders.detail", order_number=order.order_number))
    if not progress.needs_sample:
        flash(_("Order %(order)s already has batch %(batch)s under way.",
                order=order.order_number, batch=progress.batch.batch_number), "info")
        return redirect(url_for("orders.detail", order_number=order.order_number))
    form = ReceiptForm(received_at=lab_now())
    failed = []
    if form.validate_on_submit():
        outcome, failed = _decide(order, form)
        if outcome is not None:
            _flash_outcome(outcome)
            return redirect(url_for("samples.detail", din=outcome.sample.din))
    problems = orders.authorisation_issues(order, lab_today())
    return render_template(
        "samples/receive.html", order=order, form=form, progress=progress,
        failed_rules=[failed_rule_message(rule) for rule in failed],
        previous_failures=[failed_rule_message(rule) for rule in progress.failed_rules],
        authorisation_problems=[authorisation_message(problem) for problem in problems])


def _sample_or_404(din: str):
    return samples.find_sample(din) or abort(404)


@bp.route("/<din>")
@requires_area(Area.BENCH, Area.QUALITY)
def detail(din: str):
    sample = _sample_or_404(din)
    if sample.din != din:
        return redirect(url_for("samples.detail", din=sample.din))
    batch = samples.batch_of(sample)
    return render_template(
        "samples/detail.html", sample=sample, din=isbt128.parse_din(sample.din), batch=batch,
        failed_rules=[failed_rule_message(rule) for rule in samples.failed_rules_of(sample)],
        deviation=samples.acceptance_deviation(sample),
        can_print=batch is not None and may_use(current_user.role, Area.BENCH),
        max_flasks=samples.MAX_FLASK_LABELS,
        prints=printing.prints_of(batch.id) if batch else [],
        dose_levels={dose.id: dose.disc_level if dose.is_current else
                     _("%(level)s, replaced by a correction", level=dose.disc_level)
                     for dose in harvest.every_dose(batch)} if batch else {})


@bp.route("/<din>/labels/<kind>.<any(pdf, zpl):format_name>")
@requires_area(Area.BENCH)
def labels(din: str, kind: str, format_name: str):
    """The tube's or the flasks' labels as PDF (single or A4 sheet) or ZPL (203 or 300 dpi)."""
    sample = _sample_or_404(din)
    if kind not in samples.LABEL_KINDS:
        abort(404)
    flasks = request.args.get("flasks", 0, type=int) if kind == "flasks" else 1
    config = current_app.config
    try:
        print_request = PrintRequest.read(format_name, request.args.get("layout"),
                                          request.args.get("dpi", type=int))
        output = samples.print_labels(current_user, sample, kind, print_request, flasks,
                                      config["LAB_NAME"], Stock.parse(config["LABEL_STOCK"]))
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("samples.detail", din=sample.din))
    suffix = print_request.layout if format_name == "pdf" else f"{print_request.dpi}dpi"
    return send_file(io.BytesIO(output), mimetype=MIME_TYPES[print_request.format],
                     as_attachment=True,
                     download_name=f"{kind}-labels-{sample.din}-{suffix}.{format_name}")
