"""Audit trail viewer (QA and admin): filter, page through, export, record history."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from wtforms import SelectChoice

from labtrack.audit import capture as audit
from labtrack.audit import checkpoints as audit_checkpoints
from labtrack.audit import export_pdf
from labtrack.audit import trail as audit_trail
from labtrack.audit.forms import AuditFilterForm
from labtrack.audit.readable import Names, action_label, record_label
from labtrack.audit.trail import MAX_SEQ, AuditFilter, Vocabulary
from labtrack.extensions import db
from labtrack.web.policy import Area
from labtrack.web.security import requires_area
from labtrack.web.templating import lab_zone

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _local_day_start(day) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=lab_zone()) if day else None


def _filter_from(form: AuditFilterForm) -> AuditFilter:
    until = form.until.data + timedelta(days=1) if form.until.data else None
    return AuditFilter(
        record_type=form.record_type.data or None,
        record_id=(form.record_id.data or "").strip() or None,
        username=(form.username.data or "").strip() or None,
        action=form.action.data or None,
        since=_local_day_start(form.since.data),
        until=_local_day_start(until),
    )


FILTER_FIELDS = ("record_type", "record_id", "username", "action", "since", "until")
CURSORS = ("before", "after")


def _bound_filter_form() -> tuple[AuditFilterForm, AuditFilter, Vocabulary]:
    form = AuditFilterForm(request.args)
    known = audit_trail.vocabulary()
    any_label = SelectChoice("", "—")
    form.record_type.choices = [any_label] + sorted(
        (SelectChoice(t, record_label(t)) for t in known.record_types), key=lambda c: c.label)
    form.action.choices = [any_label] + [SelectChoice(a, action_label(a)) for a in known.actions]
    if request.args and not form.validate():
        return form, AuditFilter(record_type="__invalid__"), known
    return form, _filter_from(form), known


def _filter_args() -> dict[str, str]:
    """The filters in the query string, as the page links carry them on."""
    return {name: request.args[name] for name in FILTER_FIELDS if request.args.get(name)}


def _cursor() -> dict[str, int] | None:
    """``{"before": seq}``, ``{"after": seq}`` or ``{}``; None when the link's position is
    not a seq number (not a whole number from 0 to MAX_SEQ, or both at once)."""
    given = {name: request.args[name].strip() for name in CURSORS if request.args.get(name)}
    if len(given) > 1:
        return None
    for name, value in given.items():
        if not (value.isascii() and value.isdigit() and len(value) <= 10
                and int(value) <= MAX_SEQ):
            return None
        return {name: int(value)}
    return {}


@bp.route("")
@requires_area(Area.AUDIT)
def events():
    form, filters, known = _bound_filter_form()
    cursor = _cursor()
    status = 200
    if cursor is None:
        flash(_("That page link is not valid, so the newest events are shown."), "error")
        cursor, status = {}, 400
    page = audit_trail.events_page(filters, current_app.config["PAGE_SIZE"], known=known,
                                   **cursor)
    filter_args = _filter_args()

    def cursor_url(**position: int) -> str:
        return url_for("audit.events", **filter_args, **position)

    return render_template("audit/events.html", form=form, page=page, paged=bool(cursor),
                           cursor_url=cursor_url, filter_args=filter_args,
                           rows=Names(page.items).all()), status


@bp.route("/export.csv")
@requires_area(Area.AUDIT)
def export():
    _form, filters, _known = _bound_filter_form()
    return Response(stream_with_context(audit_trail.export_csv(filters)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-trail.csv"})


@bp.route("/history/<record_type>/<record_id>")
@requires_area(Area.AUDIT)
def history(record_type: str, record_id: str):
    names = Names(audit_trail.record_history(record_type, record_id))
    return render_template("audit/history.html", record_type=record_type,
                           record_id=record_id, rows=names.all(),
                           record_name=names.record(record_type, record_id))


def _pdf_response(events, description: str, filename: str) -> Response:
    """The export, audited and anchored: its checkpoint is printed on the first page."""
    audit.record_event(db.session, "export", "audit_trail",
                       changes={"export": description, "format": "pdf"})
    checkpoint = audit_checkpoints.checkpoint_now(db.session, "audit trail export")
    db.session.commit()
    content = export_pdf.render(events, description, checkpoint)
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.route("/export.pdf", endpoint="export_pdf")
@requires_area(Area.AUDIT)
def export_pdf_view():
    _form, filters, _known = _bound_filter_form()
    described = ", ".join(f"{name} = {value}" for name, value in _filter_args().items())
    description = (_("Filters: %(filters)s.", filters=described) if described
                   else _("Every event."))
    events = list(audit_trail.all_events(filters))
    return _pdf_response(events, description, "audit-trail.pdf")


@bp.route("/history/<record_type>/<record_id>/export.pdf")
@requires_area(Area.AUDIT)
def history_pdf(record_type: str, record_id: str):
    events = audit_trail.record_history(record_type, record_id)
    name = Names(events).record(record_type, record_id)
    return _pdf_response(list(reversed(events)), _("History of %(record)s.", record=name),
                         "audit-history.pdf")
