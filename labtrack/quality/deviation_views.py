"""Deviations: list, open (lab and QA), investigate, close with a QA signature."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.signing import form_signer, signature_form
from labtrack.culture import batches
from labtrack.culture.models import Batch
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.qms import deviations
from labtrack.qms.deviations import Investigation
from labtrack.qms.models import Deviation
from labtrack.quality.forms import (
    CloseDeviationForm,
    DeviationForm,
    InvestigationForm,
    QueueFilterForm,
)
from labtrack.quality.review_views import show_refusal
from labtrack.quality.terms import DEVIATION_STATUS_LABELS
from labtrack.web.forms import show_service_error
from labtrack.web.pagination import list_page
from labtrack.web.policy import Area, Role
from labtrack.web.security import requires_area

bp = Blueprint("deviations", __name__, url_prefix="/deviations")


def _deviation_or_404(number: str) -> Deviation:
    return deviations.find_deviation(number) or abort(404)


def _batch_numbers(items) -> dict[int, str]:
    ids = {d.batch_id for d in items if d.batch_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Batch.id, Batch.batch_number)
                                   .where(Batch.id.in_(ids))).all())


@bp.route("")
@requires_area(Area.BENCH, Area.QUALITY)
def index():
    form = QueueFilterForm(request.args)
    form.status.choices = [SelectChoice("", _("All")), SelectChoice("open", _("Not closed")),
                           *(SelectChoice(k, v) for k, v in DEVIATION_STATUS_LABELS.items()
                             if k != "open")]
    status = request.args.get("status", "open")
    page = list_page(deviations.deviations_query(status or None))
    form.status.data = status
    return render_template("deviations/index.html", page=page, form=form,
                           batch_numbers=_batch_numbers(page.items))


@bp.route("/new", methods=["GET", "POST"])
@requires_area(Area.BENCH, Area.QUALITY)
def new():
    number = request.args.get("batch", "")
    batch = None
    if number:
        batch = batches.find_batch(number) or abort(404)
    form = DeviationForm()
    if form.validate_on_submit():
        try:
            deviation = deviations.report_deviation(
                current_user, batch, form.kind.data, form.severity.data, form.title.data,
                form.description.data, form.immediate_action.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Deviation %(number)s opened.", number=deviation.number), "success")
            return redirect(url_for("deviations.detail", number=deviation.number))
    return render_template("deviations/new.html", form=form, batch=batch), \
        400 if form.is_submitted() else 200


def _render_detail(deviation: Deviation, status: int = 200, **forms):
    forms.setdefault("investigation_form", InvestigationForm(obj=deviation,
                                                             prefix="investigation"))
    if current_user.role == Role.QA:
        forms.setdefault("close_form", signature_form(CloseDeviationForm, prefix="close"))
    batch = db.session.get(Batch, deviation.batch_id) if deviation.batch_id else None
    return render_template("deviations/detail.html", deviation=deviation, batch=batch,
                           **forms), status


@bp.route("/<number>")
@requires_area(Area.BENCH, Area.QUALITY)
def detail(number: str):
    return _render_detail(_deviation_or_404(number))


@bp.route("/<number>/investigate", methods=["POST"])
@requires_area(Area.BENCH, Area.QUALITY)
def investigate(number: str):
    deviation = _deviation_or_404(number)
    form = InvestigationForm(prefix="investigation")
    if form.validate_on_submit():
        findings = Investigation(form.root_cause.data, form.impact.data,
                                 form.corrective_actions.data, form.preventive_actions.data)
        try:
            deviations.investigate(current_user, deviation, findings, form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Investigation saved."), "success")
            return redirect(url_for("deviations.detail", number=number))
    return _render_detail(_deviation_or_404(number), 400, investigation_form=form)


@bp.route("/<number>/close", methods=["POST"])
@requires_area(Area.QUALITY)
def close(number: str):
    deviation = _deviation_or_404(number)
    form = signature_form(CloseDeviationForm, prefix="close")
    if form.validate_on_submit():
        try:
            deviations.close(current_user, deviation, form_signer(form, Meaning.CLOSED))
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(_("Deviation %(number)s closed and signed.", number=number), "success")
            return redirect(url_for("deviations.detail", number=number))
    return _render_detail(_deviation_or_404(number), 400, close_form=form)
