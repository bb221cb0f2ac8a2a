"""The serious adverse event report (PDF): the event, and the product's full traceability
(patient, DIN, batch, doses and disc levels, reagent lots, the release decision)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select

from labtrack import pdf  # noqa: F401  (shared ReportLab settings)
from labtrack.accounts.models import User
from labtrack.clinic.models import AdverseEvent
from labtrack.clinic.terms import ae_label, criteria_text
from labtrack.clock import local
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch, CultureStep, CultureStepLot
from labtrack.extensions import db
from labtrack.inventory.models import ReagentLot
from labtrack.orders.models import TreatmentOrder
from labtrack.pdf import SANS, SANS_BOLD, register_fonts
from labtrack.quality.models import Release
from labtrack.web.templating import cells

FONT = SANS
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
HEAD = ParagraphStyle("head", parent=BODY, fontName=SANS_BOLD, fontSize=11, leading=15,
                      spaceBefore=6, spaceAfter=3)
TITLE = ParagraphStyle("title", parent=BODY, fontName=SANS_BOLD, fontSize=15, leading=19)


@dataclass(frozen=True)
class Trace:
    """What the report traces the event to."""

    order: TreatmentOrder
    batch: Batch | None
    doses: list[tuple[Dose, Administration | None]]
    lots: list[tuple]
    release: Release | None
    release_by: str | None


def trace(event: AdverseEvent) -> Trace:
    """The treatment, batch, doses, lots and release decision behind an event."""
    order = db.session.get(TreatmentOrder, event.order_id)
    batch = db.session.get(Batch, event.batch_id) if event.batch_id else None
    if batch is None:
        return Trace(order, None, [], [], None, None)
    doses = db.session.execute(
        select(Dose, Administration).outerjoin(Administration, Administration.dose_id == Dose.id)
        .where(Dose.batch_id == batch.id, Dose.superseded_by_id.is_(None))
        .order_by(Dose.id)).all()
    steps = select(CultureStep.id).where(CultureStep.batch_id == batch.id).scalar_subquery()
    lots = db.session.execute(
        select(ReagentLot.material, ReagentLot.lot_number, ReagentLot.manufacturer).distinct()
        .join(CultureStepLot, CultureStepLot.reagent_lot_id == ReagentLot.id)
        .where(CultureStepLot.step_id.in_(steps)).order_by(ReagentLot.material)).all()
    release = db.session.scalar(select(Release).where(Release.batch_id == batch.id))
    return Trace(order, batch, [tuple(row) for row in doses], [tuple(lot) for lot in lots],
                 release, release.signature.printed_name if release else None)


def _p(text: object, style: ParagraphStyle = BODY) -> Paragraph:
    """Literal text (escaped, so user text is never markup); "× 10⁶" raised as <super>."""
    shown = escape(str(text if text not in (None, "") else "—"))
    return Paragraph(shown.replace("10⁶", "10<super>6</super>"), style)


def _table(rows: list[list], widths: list[float], header: bool = True) -> Table:
    table = Table([[_p(cell) for cell in row] for row in rows], colWidths=widths,
                  repeatRows=1 if header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")))
    table.setStyle(TableStyle(style))
    return table


def _when(moment: datetime | None, zone) -> str:
    return local(moment, zone).strftime("%Y-%m-%d %H:%M %Z") if moment else "—"


def _event_rows(event: AdverseEvent, reporter: str) -> list[list]:
    return [
        [_("Onset"), event.onset_date.isoformat()],
        [_("Description"), event.description],
        [_("Serious"), _("yes") if event.serious else _("no")],
        [_("Seriousness criteria"), criteria_text(event.seriousness_criteria)],
        [_("Severity"), ae_label(event.severity)],
        [_("Causality to the cell product (WHO-UMC)"), ae_label(event.causality_product)],
        [_("Causality to the procedure (WHO-UMC)"), ae_label(event.causality_procedure)],
        [_("Action taken"), ae_label(event.action_taken)],
        [_("Outcome"), ae_label(event.outcome)],
        [_("Reported by"), reporter],
        [_("Correction of an earlier entry"), event.amendment_reason or _("no")],
    ]


def _trace_rows(event: AdverseEvent, found: Trace) -> list[list]:
    order, patient, batch = found.order, found.order.patient, found.batch
    return [
        [_("Patient"), f"{patient.record_number} — {patient.family_name}, {patient.given_name}"
                       f" ({patient.date_of_birth.isoformat()})"],
        [_("Order"), order.order_number],
        [_("Authorisation (AEMPS)"), order.authorisation_reference],
        [_("Disc levels treated"), ", ".join(order.levels)],
        [_("DIN"), event.din],
        [_("Batch"), batch.batch_number if batch else None],
    ]


def adverse_event_pdf(event: AdverseEvent, lab_name: str, zone, now: datetime) -> bytes:
    """The report as PDF bytes."""
    register_fonts()
    found = trace(event)
    reporter = db.session.get(User, event.reported_by_id).full_name
    wide = [60 * mm, 110 * mm]
    story = [_p(_("Adverse event report"), TITLE), _p(lab_name),
             _p(_("Printed %(when)s", when=_when(now, zone))), Spacer(1, 4 * mm),
             _p(_("The event"), HEAD), _table(_event_rows(event, reporter), wide, header=False),
             _p(_("Traceability"), HEAD), _table(_trace_rows(event, found), wide, header=False),
             _p(_("Doses"), HEAD)]
    dose_rows = [[_("Dose"), _("Product code"), _("Disc level"), _("Viable cells"),
                  _("Administered")]]
    dose_rows += [[dose.dose_code, dose.product_code, dose.disc_level,
                   cells(dose.viable_cells), _when(given.administered_at, zone)
                   if given else _("not administered")] for dose, given in found.doses]
    story.append(_table(dose_rows, [40 * mm, 26 * mm, 22 * mm, 30 * mm, 52 * mm]))
    story += [_p(_("Reagent lots used"), HEAD),
              _table([[_("Material"), _("Lot"), _("Manufacturer")], *found.lots],
                     [70 * mm, 45 * mm, 55 * mm]),
              _p(_("Release decision"), HEAD)]
    release = found.release
    story.append(_table([
        [_("Decision"), release.decision if release else _("none")],
        [_("Decided"), _when(release.decided_at, zone) if release else None],
        [_("By"), found.release_by],
        [_("Released by exception"), (_("yes") if release.exceptional else _("no"))
         if release else None],
        [_("Release record"), release.document_id if release else None]], wide, header=False))
    buffer = io.BytesIO()
    batch_number = found.batch.batch_number if found.batch else ""
    SimpleDocTemplate(buffer, pagesize=A4, title=_("Adverse event report"),
                      subject=f"{event.din or ''} {batch_number}",
                      author=lab_name, leftMargin=20 * mm, rightMargin=20 * mm,
                      topMargin=18 * mm, bottomMargin=18 * mm).build(story)
    return buffer.getvalue()
