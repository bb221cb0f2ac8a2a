"""The audit trail exported for an inspection as PDF: readable rows and the checkpoint.

The export is itself audited, and the chain's position including that event is
anchored (checkpoint files) and printed on the first page, so ``labtrack audit-verify
--record FILE.pdf`` can later show the trail still holds what the inspector was given.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from flask import current_app
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from labtrack.audit.readable import Names
from labtrack.audit.rules.checkpoint import Checkpoint
from labtrack.database import utcnow
from labtrack.pdf import CONDENSED, SANS, SANS_BOLD, register_fonts
from labtrack.web.templating import local_time

BASE = ParagraphStyle("base", fontName=SANS, fontSize=7.5, leading=9)
HEAD = ParagraphStyle("head", parent=BASE, fontName=SANS_BOLD)
TITLE = ParagraphStyle("title", parent=BASE, fontName=SANS_BOLD, fontSize=13, leading=16)
MONO = ParagraphStyle("mono", parent=BASE, fontName=CONDENSED, fontSize=7, leading=8.5)
CHUNK = 500


def _fonts() -> None:
    register_fonts()


def _p(text: str, style=BASE) -> Paragraph:
    return Paragraph(escape(text), style)


def render(events, description: str, checkpoint: Checkpoint) -> bytes:
    """The events (newest first, any iterable) as a landscape A4 table, checkpoint first."""
    _fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm,
                                 rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                                 title=_("Audit trail"))
    token = checkpoint.token
    story = [
        _p(_("%(lab)s · Audit trail", lab=current_app.config["LAB_NAME"]), TITLE),
        _p(_("Exported %(when)s. %(filters)s",
             when=local_time(utcnow(), "%Y-%m-%d %H:%M:%S"), filters=description)),
        _p(_("Audit checkpoint at the export (seq %(seq)s, %(at)s, key %(key)s), checked "
             "against the trail by labtrack audit-verify --record:",
             seq=checkpoint.seq, at=checkpoint.at, key=checkpoint.key_id)),
        _p(" ".join(token[i:i + 60] for i in range(0, len(token), 60)), MONO),
        Spacer(1, 4 * mm),
    ]
    header = [_p(text, HEAD) for text in (_("#"), _("When"), _("Who"), _("What"),
                                          _("Changes (old → new)"), _("Why"))]
    rows = [header]
    for chunk in _chunks(events):
        for row in Names(chunk).all():
            changes = "; ".join(
                f"{c.label}: {c.old} → {c.new if c.new is not None else '—'}"
                if c.old is not None else f"{c.label}: {c.new if c.new is not None else '—'}"
                for c in row.changes)
            rows.append([_p(str(row.event.seq)), _p(row.when), _p(row.who),
                         _p(f"{row.action} {row.record}"), _p(changes),
                         _p(row.event.reason or "")])
    widths = [12 * mm, 34 * mm, 40 * mm, 50 * mm, 95 * mm, 42 * mm]
    table = LongTable(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff2")),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story.append(table)
    document.build(story)
    return buffer.getvalue()


def _chunks(events):
    chunk = []
    for event in events:
        chunk.append(event)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
