"""QA batch review and decision: checklist, release, exceptional release, rejection, records."""

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

from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.signing import form_signer, signature_form
from labtrack.culture import formulation_corrections
from labtrack.culture.batch_pages import batch_or_404
from labtrack.culture.harvest import LabelSettings, dose_labels
from labtrack.culture.terms import state_label
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.identity.printing import MIME_TYPES, PrintRequest
from labtrack.qms import deviations
from labtrack.quality import release, terms
from labtrack.quality.forms import (
    ExceptionalReleaseForm,
    RejectForm,
    ReleaseForm,
    version_field_value,
)
from labtrack.quality.release import DecisionConflict, ExceptionalRequest, RecordSettings
from labtrack.web.forms import show_service_error
from labtrack.web.policy import Area
from labtrack.web.security import requires_area
from labtrack.web.templating import lab_zone

bp = Blueprint("quality", __name__, url_prefix="/quality")
bp.add_app_template_filter(terms.verdict_text, "verdict_label")
bp.add_app_template_filter(terms.severity_text, "severity_label")
bp.add_app_template_filter(terms.status_text, "deviation_status")
bp.add_app_template_filter(terms.deviation_kind_text, "deviation_kind")
bp.add_app_template_filter(state_label, "batch_state")
bp.add_app_template_filter(terms.limit_text, "limit_text")

DECISIONS = {
    "release": (ReleaseForm, Meaning.RELEASED),
    "exceptional": (ExceptionalReleaseForm, Meaning.RELEASED),
    "reject": (RejectForm, Meaning.REJECTED),
}


def show_refusal(form, error: ServiceError) -> None:
    """Like show_service_error, with credential refusals on the password field."""
    if error.field == "password":
        error.field = "sign_password"
    show_service_error(form, error)


@bp.route("/batches/<batch_number>")
@requires_area(Area.QUALITY)
def batch(batch_number: str):
    batch = batch_or_404(batch_number)
    review = release.review(batch, current_user, lab_zone())
    return render_template("quality/batch.html", batch=batch, review=review,
                           corrections=formulation_corrections.corrections(batch),
                           decision=release.decision_of(batch),
                           open_deviations=[d for d in review.deviations
                                            if d.status != deviations.CLOSED])


@bp.route("/batches/<batch_number>/<any(release, exceptional, reject):kind>",
          methods=["GET", "POST"])
@requires_area(Area.QUALITY)
def decide(batch_number: str, kind: str):
    """Confirm and sign a decision; irreversible, so it has its own page."""
    batch = batch_or_404(batch_number)
    form_class, meaning = DECISIONS[kind]
    form = signature_form(form_class)
    if not form.is_submitted():
        form.version.data = str(batch.version)
    if form.validate_on_submit():
        try:
            _decide(kind, batch, form, meaning)
        except DecisionConflict as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("quality.batch", batch_number=batch_number))
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(_decided_message(kind, batch_number), "success")
            return redirect(url_for("quality.batch", batch_number=batch_number))
    batch = batch_or_404(batch_number)
    review = release.review(batch, current_user, lab_zone())
    status = 400 if form.is_submitted() else 200
    return render_template("quality/decide.html", batch=batch, review=review, form=form,
                           corrections=formulation_corrections.corrections(batch),
                           kind=kind, meaning=meaning,
                           decision=release.decision_of(batch)), status


def _decide(kind: str, batch, form, meaning: Meaning):
    settings = RecordSettings.from_config(current_app.config)
    version = version_field_value(form)
    if version is None:
        raise DecisionConflict(_("The form was out of date. Nothing was signed: review the "
                                 "batch again."))
    sign = form_signer(form, meaning)
    if kind == "reject":
        return release.reject(current_user, batch, sign, settings, form.reason.data, version)
    exceptional = (ExceptionalRequest(form.clinician_request.data, form.risk_assessment.data)
                   if kind == "exceptional" else None)
    return release.release(current_user, batch, sign, settings, version, exceptional)


def _decided_message(kind: str, batch_number: str) -> str:
    if kind == "reject":
        return _("Batch %(batch)s rejected. The treating clinician has been told.",
                 batch=batch_number)
    return _("Batch %(batch)s released for clinical use. Its release record is stored and "
             "the treating clinician has been told.", batch=batch_number)


@bp.route("/batches/<batch_number>/record.pdf")
@requires_area(Area.QUALITY)
def record(batch_number: str):
    """The stored PDF release record, byte for byte as generated at the decision."""
    decision = release.decision_of(batch_or_404(batch_number))
    if decision is None or decision.record_pdf is None:
        abort(404)
    response = send_file(io.BytesIO(decision.record_pdf), mimetype="application/pdf",
                         as_attachment=True, download_name=f"{decision.document_id}.pdf")
    response.headers["X-Content-SHA256"] = decision.record_sha256
    return response


@bp.route("/batches/<batch_number>/labels.<any(pdf, zpl):format_name>")
@requires_area(Area.BENCH, Area.QUALITY)
def labels(batch_number: str, format_name: str = "pdf"):
    """One ISBT 128 label per dose, as PDF or as ZPL for a 203 or 300 dpi printer."""
    batch = batch_or_404(batch_number)
    settings = LabelSettings.from_config(current_app.config, lab_zone())
    try:
        print_request = PrintRequest.read(format_name, request.args.get("layout"),
                                          request.args.get("dpi", type=int))
        output = dose_labels(current_user, batch, settings, print_request)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("main.home"))
    return send_file(io.BytesIO(output), mimetype=MIME_TYPES[print_request.format],
                     as_attachment=True,
                     download_name=f"{batch.batch_number}-dose-labels.{format_name}")
