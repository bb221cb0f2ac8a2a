"""Release specification versions (QA): list, read, approve a new version."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.signing import form_signer, signature_form
from labtrack.errors import ServiceError
from labtrack.qms import specifications as versions
from labtrack.qms.rules.specification import DEFAULT_SPECIFICATION
from labtrack.quality import qc as quality
from labtrack.quality.review_views import show_refusal
from labtrack.quality.specification_forms import SpecificationForm, blank_rows, row_data
from labtrack.web.policy import Area
from labtrack.web.security import requires_area

bp = Blueprint("specifications", __name__, url_prefix="/specifications")


def _in_force():
    """The version in force, or None before the first batch created version 1."""
    return next(iter(quality.specification_versions()), None)


@bp.route("")
@requires_area(Area.QUALITY)
def index():
    specs = quality.specification_versions()
    return render_template("specifications/index.html", specifications=specs,
                           current=specs[0] if specs else None)


@bp.route("/<int:version>")
@requires_area(Area.QUALITY)
def detail(version: int):
    spec = quality.find_version(version) or abort(404)
    return render_template("specifications/detail.html", spec=spec,
                           current=_in_force())


@bp.route("/new", methods=["GET", "POST"])
@requires_area(Area.QUALITY)
def new():
    current = _in_force()
    tests = ([versions.as_domain(t) for t in current.tests] if current
             else list(DEFAULT_SPECIFICATION))
    initial = ({"tests": [row_data(t) for t in tests] + blank_rows()}
               if request.method == "GET" else None)
    form = signature_form(SpecificationForm, data=initial)
    if form.validate_on_submit():
        try:
            spec = quality.new_specification_version(
                current_user, form.specification(), form.change_summary.data,
                form_signer(form, Meaning.APPROVED))
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(_("Specification version %(version)d approved. Batches started from now on "
                    "are judged against it.", version=spec.version), "success")
            return redirect(url_for("specifications.detail", version=spec.version))
    return render_template("specifications/new.html", form=form, current=current), \
        400 if form.is_submitted() else 200
