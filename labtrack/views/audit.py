"""Audit trail viewer (QA and admin): filter, page through, export, record history."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from wtforms import SelectChoice

from labtrack.domain.roles import Area
from labtrack.extensions import db
from labtrack.formatting import lab_zone
from labtrack.forms.audit import AuditFilterForm
from labtrack.security import requires_area
from labtrack.services import audit_trail
from labtrack.services.audit_trail import AuditFilter

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


def _bound_filter_form() -> tuple[AuditFilterForm, AuditFilter]:
    form = AuditFilterForm(request.args)
    any_label = SelectChoice("", "—")
    form.record_type.choices = [any_label] + [SelectChoice(t, t)
                                              for t in audit_trail.known_record_types()]
    form.action.choices = [any_label] + [SelectChoice(a, a) for a in audit_trail.known_actions()]
    if request.args and not form.validate():
        return form, AuditFilter(record_type="__invalid__")
    return form, _filter_from(form)


@bp.route("")
@requires_area(Area.AUDIT)
def events():
    form, filters = _bound_filter_form()
    page = db.paginate(audit_trail.events_query(filters),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("audit/events.html", form=form, page=page,
                           changed_fields=audit_trail.changed_fields)


@bp.route("/export.csv")
@requires_area(Area.AUDIT)
def export():
    _, filters = _bound_filter_form()
    return Response(stream_with_context(audit_trail.export_csv(filters)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-trail.csv"})


@bp.route("/history/<record_type>/<record_id>")
@requires_area(Area.AUDIT)
def history(record_type: str, record_id: str):
    events = audit_trail.record_history(record_type, record_id)
    return render_template("audit/history.html", record_type=record_type,
                           record_id=record_id, events=events,
                           changed_fields=audit_trail.changed_fields)
