"""The cohort report: how treated patients did at the end point, and the link back to the
lab (cells per disc, viability at release, passages, culture days, doubling time).

Patients are pseudonymised: a keyed hash of LabTrack's patient id, stable between
reports, that names no one (no record number, no name, no order number).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import statistics
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from labtrack.accounts.models import User
from labtrack.clinic.followup import FollowUpSettings, current_visits, injection_date
from labtrack.clinic.rules import followup
from labtrack.clinic.rules.outcomes import CohortSummary, PatientOutcome, is_responder, summarise
from labtrack.clock import lab_today
from labtrack.culture import counts
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch
from labtrack.culture.rules.growth import doubling_time_days, elapsed_days
from labtrack.extensions import db
from labtrack.orders.models import TreatmentOrder
from labtrack.quality import qc
from labtrack.web.policy import Area, require_area


@dataclass(frozen=True)
class CohortRow:
    """One treated patient: outcome and the process that made their product."""

    outcome: PatientOutcome
    responder: bool | None
    cells_per_disc_millions: float | None
    viability_percent: float | None
    passages: int | None
    culture_days: float | None
    doubling_time_days: float | None

    @property
    def pain_change(self) -> Decimal | None:
        o = self.outcome
        return None if None in (o.baseline_pain, o.final_pain) else o.final_pain - o.baseline_pain

    @property
    def odi_change(self) -> Decimal | None:
        o = self.outcome
        return None if None in (o.baseline_odi, o.final_odi) else o.final_odi - o.baseline_odi


@dataclass(frozen=True)
class CohortReport:
    rows: list[CohortRow]
    summary: CohortSummary
    settings: FollowUpSettings


def pseudonym(patient_id: int, secret: str) -> str:
    """A stable pseudonym: P- and eight hex characters of an HMAC of the patient id."""
    digest = hmac.new(secret.encode(), f"patient:{patient_id}".encode(), hashlib.sha256)
    return f"P-{digest.hexdigest()[:8].upper()}"


def require_reader(acting: User) -> None:
    """QA and clinicians read the (pseudonymised) cohort."""
    require_area(acting.role, (Area.QUALITY, Area.CLINIC),
                 _("Only QA and clinicians may read the cohort report."))


def cohort_report(acting: User, settings: FollowUpSettings, zone, secret: str,
                  today: date | None = None) -> CohortReport:
    """Every treated patient's outcome at the end point, with the lab's parameters."""
    require_reader(acting)
    today = today or lab_today(zone)
    treated = db.session.scalars(
        select(TreatmentOrder).where(
            select(Administration.id).join(Dose, Dose.id == Administration.dose_id)
            .join(Batch, Batch.id == Dose.batch_id)
            .where(Batch.order_id == TreatmentOrder.id).exists())
        .order_by(TreatmentOrder.id))
    rows = [_row(order, settings, zone, secret, today) for order in treated]
    rows.sort(key=lambda row: row.outcome.key)
    return CohortReport(rows, summarise([row.outcome for row in rows], settings.rule), settings)


def _scores(visit) -> tuple[Decimal | None, Decimal | None]:
    if visit is None:
        return None, None
    return followup.as_nrs(visit.back_pain, visit.pain_scale), visit.odi_percent


def _row(order: TreatmentOrder, settings: FollowUpSettings, zone, secret: str,
         today: date) -> CohortRow:
    visits = {visit.visit_key: visit for visit in current_visits(order)}
    base_pain, base_odi = _scores(visits.get(followup.BASELINE))
    final_pain, final_odi = _scores(visits.get(settings.endpoint))
    injected = injection_date(order, zone)
    endpoint = next(w for w in followup.windows(injected, settings.schedule)
                    if w.key == settings.endpoint)
    outcome = PatientOutcome(pseudonym(order.patient_id, secret), base_pain, final_pain,
                             base_odi, final_odi, lost=today > endpoint.closes)
    batch = db.session.scalar(select(Batch).join(Dose, Dose.batch_id == Batch.id)
                              .join(Administration, Administration.dose_id == Dose.id)
                              .where(Batch.order_id == order.id).limit(1))
    return CohortRow(outcome, is_responder((base_pain, final_pain), (base_odi, final_odi),
                                           settings.rule), *_process(batch))


def _process(batch: Batch) -> tuple:
    """Cells per disc (× 10⁶, mean of the doses given), viability at release, passages,
    culture days, and the mean doubling time over the passages that grew."""
    given = list(db.session.scalars(select(Dose.viable_cells).join(
        Administration, Administration.dose_id == Dose.id).where(Dose.batch_id == batch.id)))
    cells = statistics.fmean(given) / 1e6 if given else None
    viability = next((float(r.numeric_value) for r in qc.current_results(batch)
                      if r.test_code == "viability" and r.numeric_value is not None), None)
    in_force = counts.current_counts(batch)
    passages = max((count.passage_number for count in in_force), default=None)
    days = (elapsed_days(batch.seeded_at, batch.harvested_at)
            if batch.seeded_at and batch.harvested_at else None)
    return cells, viability, passages, days, _doubling_time(in_force)


def _doubling_time(in_force) -> float | None:
    times = []
    for passage in sorted({count.passage_number for count in in_force}):
        inside = [c for c in in_force if c.passage_number == passage and c.viable_cells > 0]
        if len(inside) >= 2 and inside[-1].counted_at > inside[0].counted_at:
            time = doubling_time_days(inside[0].viable_cells, inside[-1].viable_cells,
                                      elapsed_days(inside[0].counted_at, inside[-1].counted_at))
            if time is not None:
                times.append(time)
    return statistics.fmean(times) if times else None


CSV_COLUMNS = ("pseudonym", "baseline_pain_nrs", "final_pain_nrs", "pain_change",
               "baseline_odi", "final_odi", "odi_change", "responder", "lost_to_follow_up",
               "cells_per_disc_millions", "viability_percent", "passages", "culture_days",
               "doubling_time_days")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def cohort_csv(report: CohortReport) -> bytes:
    """The report's rows for the statistician (UTF-8 CSV, pseudonymised)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        o = row.outcome
        writer.writerow([_cell(value) for value in (
            o.key, o.baseline_pain, o.final_pain, row.pain_change, o.baseline_odi, o.final_odi,
            row.odi_change, row.responder, o.lost and not o.followed,
            row.cells_per_disc_millions, row.viability_percent, row.passages,
            row.culture_days, row.doubling_time_days)])
    return buffer.getvalue().encode("utf-8")
