"""QC result entry and correction (lab technicians and QA; see quality/qc.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from labtrack.culture.batch_pages import batch_or_404, batch_page_url
from labtrack.culture.models import Batch
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.quality import qc as quality
from labtrack.quality.forms import AmendResultForm, ResultForm
from labtrack.quality.models import QcResult
from labtrack.quality.qc import ResultData
from labtrack.quality.record_facts import result_text
from labtrack.web.forms import show_service_error
from labtrack.web.policy import Area
from labtrack.web.security import requires_area
from labtrack.web.templating import lab_now, lab_zone

bp = Blueprint("qc", __name__, url_prefix="/qc")


def _data(form: ResultForm) -> ResultData:
    return ResultData(test_code=form.test_code.data, value=form.value.data,
                      method=form.method.data, analyst=form.analyst.data,
                      tested_at=form.tested_at.utc,
                      instrument=form.instrument.data)


def _choose_tests(form: ResultForm, lines) -> None:
    form.test_code.choices = [SelectChoice(line.test.code, line.test.name) for line in lines]


@bp.route("/batches/<batch_number>", methods=["GET", "POST"])
@requires_area(Area.BENCH, Area.QUALITY)
def results(batch_number: str):
    """The batch's results against its specification, and the entry form."""
    batch = batch_or_404(batch_number)
    lines = quality.result_lines(quality.specification_tests(batch),
                                 quality.current_results(batch))
    form = ResultForm()
    after_release = batch.state in quality.AFTER_RELEASE_STATES
    awaiting = [line for line in lines if line.result is None
                and (line.test.may_be_pending or not after_release)]
    _choose_tests(form, awaiting)
    if not form.is_submitted():
        _prefill(form, awaiting, request.args.get("test"))
    if form.validate_on_submit():
        try:
            result = quality.record_result(current_user, batch, _data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Result saved: %(verdict)s.", verdict=_verdict_word(result.verdict)),
                  "success" if result.verdict != "fail" else "warning")
            return redirect(url_for("qc.results", batch_number=batch_number))
    batch = batch_or_404(batch_number)
    return render_template("quality/results.html", batch=batch, lines=lines, form=form,
                           batch_url=batch_page_url(batch)), 400 if form.is_submitted() else 200


def _prefill(form: ResultForm, lines, code: str | None) -> None:
    form.tested_at.data = lab_now()
    form.analyst.data = current_user.full_name
    line = next((line for line in lines if line.test.code == code),
                lines[0] if lines else None)
    if line is not None:
        form.test_code.data = line.test.code
        form.method.data = line.test.method


def _verdict_word(verdict: str) -> str:
    return {"pass": _("within specification"), "fail": _("OUT OF SPECIFICATION")}.get(
        verdict, verdict)


@bp.route("/results/<int:result_id>/amend", methods=["GET", "POST"])
@requires_area(Area.BENCH, Area.QUALITY)
def amend(result_id: int):
    original = db.session.get(QcResult, result_id) or abort(404)
    batch = db.session.get(Batch, original.batch_id) or abort(404)
    form = AmendResultForm(data=None if request.method == "POST" else {
        "test_code": original.test_code, "method": original.method,
        "instrument": original.instrument, "analyst": original.analyst,
        "tested_at": original.tested_at.astimezone(lab_zone()).replace(tzinfo=None),
        "value": result_text(original)})
    form.test_code.choices = [SelectChoice(original.test_code, original.test_code)]
    if form.validate_on_submit():
        try:
            quality.amend_result(current_user, original, _data(form), form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Result corrected; the original is kept in the record."), "success")
            return redirect(url_for("qc.results", batch_number=batch.batch_number))
    return render_template("quality/amend_result.html", batch=batch, original=original,
                           form=form), 400 if form.is_submitted() else 200

