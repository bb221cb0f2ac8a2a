"""QC result entry and correction (lab technicians and QA; see quality/qc.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from labtrack.culture.batch_pages import batch_or_404, batch_page_url
from labtrack.culture.models import Batch
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.quality import qc as quality
from labtrack.quality.forms import AmendResultForm, ResultForm, ResultsGridForm
from labtrack.quality.models import QcResult
from labtrack.quality.qc import ResultData, ResultErrors
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


@bp.route("/batches/<batch_number>", methods=["GET", "POST"])
@requires_area(Area.BENCH, Area.QUALITY)
def results(batch_number: str):
    """The batch's results against its specification, and one grid for every awaited one."""
    batch = batch_or_404(batch_number)
    lines = quality.result_lines(quality.specification_tests(batch),
                                 quality.current_results(batch))
    after_release = batch.state in quality.AFTER_RELEASE_STATES
    awaiting = [line for line in lines if line.result is None
                and (line.test.may_be_pending or not after_release)]
    form = ResultsGridForm()
    if not form.is_submitted():
        _fill_rows(form, awaiting)
    elif form.validate():
        entries = [_row_data(row) for row in form.rows if (row.value.data or "").strip()]
        try:
            saved = quality.record_results(current_user, batch, entries)
        except ResultErrors as refused:
            _show_row_errors(form, refused)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            _flash_saved(saved, {line.test.code: line.test.name for line in lines})
            return redirect(url_for("qc.results", batch_number=batch_number))
    batch = batch_or_404(batch_number)
    by_code = {line.test.code: line for line in awaiting}
    rows = [(row, by_code[row.test_code.data]) for row in form.rows
            if row.test_code.data in by_code]
    return render_template("quality/results.html", batch=batch, lines=lines, form=form,
                           rows=rows, focus=request.args.get("test"),
                           batch_url=batch_page_url(batch)), 400 if form.is_submitted() else 200


def _fill_rows(form: ResultsGridForm, awaiting) -> None:
    now = lab_now()
    for line in awaiting:
        form.rows.append_entry({"test_code": line.test.code, "analyst": current_user.full_name,
                                "tested_at": now})


def _row_data(row) -> ResultData:
    return ResultData(test_code=row.test_code.data, value=row.value.data, method="",
                      analyst=row.analyst.data, tested_at=row.tested_at.utc,
                      instrument=row.instrument.data)


def _show_row_errors(form: ResultsGridForm, refused: ResultErrors) -> None:
    """Each refusal under its row's field; the rest of the grid keeps what was typed."""
    db.session.rollback()
    flash(refused.message, "error")
    rows = {row.test_code.data: row for row in form.rows}
    for code, problems in refused.rows.items():
        row = rows.get(code)
        for name, message in problems.items():
            field = getattr(row, name, None) if row is not None else None
            target = field if field is not None and name != "test_code" else row.value
            target.errors = [*target.errors, message]


def _flash_saved(saved, names: dict[str, str]) -> None:
    failed = [names.get(r.test_code, r.test_code) for r in saved if r.verdict == "fail"]
    flash(ngettext("%(num)d result saved.", "%(num)d results saved.", len(saved))
          + (" " + _("Out of specification: %(tests)s.",
                     tests=", ".join(failed)) if failed else ""),
          "warning" if failed else "success")


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

