"""Counter file import pages: upload (on a batch page or for the whole bench), preview with
every warning, then confirm; the access policy lets the roles that log counts in."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from labtrack.culture import counter_import, counter_uploads
from labtrack.culture.batch_views import readable_batch
from labtrack.culture.counter_forms import CounterFileForm, CounterPreviewForm
from labtrack.culture.counter_uploads import Upload
from labtrack.errors import ServiceError
from labtrack.web.forms import show_service_error
from labtrack.web.policy import Area
from labtrack.web.security import requires_area

bp = Blueprint("counter_import", __name__)
MAX_VOLUME_TEXT = 20


@bp.route("/counts/import", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def upload():
    return _upload(None)


@bp.route("/batches/<batch_number>/counts/import", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def upload_for_batch(batch_number: str):
    return _upload(readable_batch(batch_number))


def _upload(batch):
    form = CounterFileForm()
    if form.validate_on_submit():
        sent = form.file.data
        try:
            sha256 = counter_import.stage(current_user, Upload(sent.filename or "",
                                                               sent.read()))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return redirect(_preview_url(sha256, batch))
    return render_template("counts/import_upload.html", form=form, batch=batch), (
        400 if request.method == "POST" else 200)


def _preview_url(sha256: str, batch) -> str:
    return url_for("counter_import.preview", sha256=sha256,
                   batch=batch.batch_number if batch else None)


def _volumes() -> dict[int, Decimal | None]:
    """The suspension volume typed on each row (``volume-<line>``); unreadable text is NaN,
    which the import refuses with a message on its row."""
    volumes = {}
    for name, text in request.form.items():
        line = name.removeprefix("volume-")
        if line != name and line.isdigit():
            volumes[int(line)] = _decimal(text)
    return volumes


def _decimal(text: str) -> Decimal | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return Decimal(text) if len(text) <= MAX_VOLUME_TEXT else Decimal("NaN")
    except InvalidOperation:
        return Decimal("NaN")


def _signature(volumes: dict[int, Decimal | None]) -> str:
    """The volumes the totals on the page were worked out with (to confirm those)."""
    return ";".join(f"{line}={volumes[line]}" for line in sorted(volumes))


@bp.route("/counts/import/<sha256>", methods=["GET", "POST"])
@requires_area(Area.BENCH)
def preview(sha256: str):
    batch_number = request.args.get("batch")
    batch = readable_batch(batch_number) if batch_number else None
    upload_page = (url_for("counter_import.upload_for_batch", batch_number=batch.batch_number)
                   if batch else url_for("counter_import.upload"))
    staged = counter_uploads.staged(current_user, sha256)
    if staged is None:
        stored = counter_uploads.imported_file(sha256) if len(sha256) == 64 else None
        flash(_("This file was already imported; the same file cannot be imported twice.")
              if stored else _("This upload is no longer waiting: upload the file again."),
              "error")
        return redirect(upload_page)
    form = CounterPreviewForm()
    volumes = _volumes() if request.method == "POST" else {}
    if form.validate_on_submit() and request.form.get("action") == "confirm":
        if request.form.get("reviewed") != _signature(volumes):
            flash(_("The volumes changed: check the new totals, then import."), "warning")
        else:
            return _confirm(staged, volumes, batch, form, upload_page)
    elif request.method == "POST" and form.errors:
        abort(400)
    return _render_preview(staged, volumes, batch, form, upload_page)


def _render_preview(staged: Upload, volumes, batch, form, upload_page, status: int = 200):
    try:
        found = counter_import.preview(current_user, staged, volumes, batch)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(upload_page)
    return render_template("counts/import_preview.html", preview=found, batch=batch,
                           form=form, volumes=volumes, reviewed=_signature(volumes),
                           upload_page=upload_page), status


def _confirm(staged: Upload, volumes, batch, form, upload_page):
    try:
        result = counter_import.confirm(current_user, staged, volumes, batch)
    except ServiceError as error:
        show_service_error(form, error)
        return _render_preview(staged, volumes, batch, form, upload_page, status=400)
    flash(ngettext("%(num)d count imported from %(file)s (SHA-256 %(hash)s).",
                   "%(num)d counts imported from %(file)s (SHA-256 %(hash)s).",
                   len(result.counts), file=result.file.filename, hash=result.file.sha256),
          "success")
    if len(result.batch_numbers) == 1:
        return redirect(url_for("batches.detail", batch_number=result.batch_numbers[0])
                        + "#counts")
    return redirect(url_for("counter_import.upload"))
