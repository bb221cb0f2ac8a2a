"""The cohort report (pseudonymised): outcomes at the end point and the lab's parameters,
as a page with scatter plots and as CSV for the statistician."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.clinic import outcomes
from labtrack.clinic.followup import FollowUpSettings
from labtrack.clinic.outcome_charts import scatter
from labtrack.clinic.terms import visit_label
from labtrack.web.policy import Area
from labtrack.web.security import requires_area
from labtrack.web.templating import lab_today, lab_zone

bp = Blueprint("outcomes", __name__)


def _report() -> outcomes.CohortReport:
    return outcomes.cohort_report(current_user, FollowUpSettings.from_config(current_app.config),
                                  lab_zone(), current_app.config["SECRET_KEY"])


def _scatters(report: outcomes.CohortReport) -> list[tuple[str, str]]:
    parameters = (("cells_per_disc_millions", _("Cells per disc (× 10⁶)")),
                  ("viability_percent", _("Viability at release (%)")),
                  ("passages", _("Passages")), ("culture_days", _("Culture days")),
                  ("doubling_time_days", _("Doubling time (days)")))
    charts = []
    for name, label in parameters:
        points = [(float(getattr(row, name)), float(row.odi_change), row.outcome.key)
                  for row in report.rows
                  if getattr(row, name) is not None and row.odi_change is not None]
        charts.append((label, scatter(points, label, _("ODI change (points)"))))
    return charts


@bp.route("/outcomes")
@requires_area(Area.QUALITY, Area.CLINIC)
def cohort():
    report = _report()
    return render_template("followup/outcomes.html", report=report, summary=report.summary,
                           endpoint=visit_label(report.settings.endpoint),
                           charts=_scatters(report), today=lab_today())


@bp.route("/outcomes.csv")
@requires_area(Area.QUALITY, Area.CLINIC)
def cohort_csv():
    return Response(outcomes.cohort_csv(_report()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=cohort-outcomes.csv"})
