"""The PDF batch release record, from a plain data structure (no Flask, no database).

Laid out for review by exception: the decision and every out-of-specification, pending,
amended or exceptional item come first, on page 1, in colour and in words. Every page
carries the lab, the document id and "page X of Y". All text is drawn literally: user
text is escaped before it reaches ReportLab's paragraph markup.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from labtrack.reports.record_chart import ChartData, growth_drawing, register_fonts

MARGIN = 15 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
FLAG_COLOURS = {
    "fail": colors.HexColor("#fbeaea"),
    "exceptional": colors.HexColor("#fbeaea"),
    "pending": colors.HexColor("#fdf3e1"),
    "amended": colors.HexColor("#e8eefb"),
    "ok": colors.HexColor("#e6f4ec"),
}
FLAG_INK = {"fail": "#b3261e", "exceptional": "#b3261e", "pending": "#9a6200",
            "amended": "#1f4f9b", "ok": "#1e7b45"}


@dataclass(frozen=True)
class Flagged:
    """A line of text and how it stands out: fail, exceptional, pending, amended, ok or None."""

    text: str
    flag: str | None = None


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    flag: str | None = None


@dataclass(frozen=True)
class TableData:
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    widths: tuple[float, ...] | None = None  # relative widths


@dataclass(frozen=True)
class Section:
    """A titled part of the record: facts, a table, paragraphs and/or the chart."""

    title: str
    facts: tuple[tuple[str, str], ...] = ()
    table: TableData | None = None
    paragraphs: tuple[Flagged, ...] = ()
    chart: ChartData | None = None
    empty: str | None = None


@dataclass(frozen=True)
class RecordData:
    """Everything the record prints; times are already local, with their zone."""

    lab_name: str
    title: str
    document_id: str
    document_label: str  # e.g. "Document BRR-MSC26-0001"
    page_label: str  # "Page %(page)d of %(pages)d"
    generated_label: str
    decision: Flagged
    decision_lines: tuple[str, ...]
    exceptions_title: str
    exceptions: tuple[Flagged, ...]
    no_exceptions: str
    din_label: str
    din_grouped: str
    din_check: str
    din_barcode: str
    first_page: tuple[Section, ...]
    sections: tuple[Section, ...]


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("base", fontName="Vera", fontSize=8.5, leading=11)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9),
        "head": ParagraphStyle("head", parent=base, fontName="Vera-Bold", fontSize=7.5,
                               leading=9),
        "title": ParagraphStyle("title", parent=base, fontName="Vera-Bold", fontSize=15,
                                leading=19, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontName="Vera-Bold", fontSize=10.5,
                             leading=13, spaceBefore=8, spaceAfter=3),
        "decision": ParagraphStyle("decision", parent=base, fontName="Vera-Bold",
                                   fontSize=13, leading=16, alignment=TA_CENTER),
        "din": ParagraphStyle("din", parent=base, fontName="Vera-Bold", fontSize=12,
                              leading=14),
    }


SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6",
                "⁷": "7", "⁸": "8", "⁹": "9"}


def text(value: str | None) -> str:
    """User text made inert for paragraph markup; line breaks and superscripts kept."""
    marked = escape(value or "").replace("\n", "<br/>")
    for character, digit in SUPERSCRIPTS.items():
        marked = marked.replace(character, f"<super>{digit}</super>")
    return marked


def render_record(record: RecordData) -> bytes:
    """The record as PDF bytes."""
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 6 * mm,
        bottomMargin=MARGIN + 4 * mm, title=f"{record.title} {record.document_id}",
        author=record.lab_name, creator="LabTrack", subject=record.document_id, invariant=1)
    story = [*_first_page(record, styles)]
    for section in record.sections:
        story.extend(_section(section, styles))
    doc.build(story, onFirstPage=_header(record), onLaterPages=_header(record),
              canvasmaker=_numbered_canvas(record))
    return buffer.getvalue()


def _header(record: RecordData):
    def draw(canvas: Canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Vera-Bold", 8)
        top = A4[1] - MARGIN
        canvas.drawString(MARGIN, top, f"{record.lab_name} · {record.title}")
        canvas.setFont("Vera", 8)
        canvas.drawRightString(A4[0] - MARGIN, top, record.document_label)
        canvas.setStrokeColor(colors.grey)
        canvas.line(MARGIN, top - 3, A4[0] - MARGIN, top - 3)
        canvas.restoreState()

    return draw


def _numbered_canvas(record: RecordData):
    """A canvas that writes "page X of Y" on every page once the page count is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._footer(number, len(self._pages))
                super().showPage()
            super().save()

        def _footer(self, number: int, total: int) -> None:
            self.saveState()
            self.setFont("Vera", 7.5)
            bottom = MARGIN
            self.drawString(MARGIN, bottom, f"{record.document_label} · "
                                            f"{record.generated_label}")
            self.drawRightString(A4[0] - MARGIN, bottom,
                                 record.page_label % {"page": number, "pages": total})
            self.restoreState()

    return NumberedCanvas


def _first_page(record: RecordData, styles) -> list:
    story = [Paragraph(text(record.title), styles["title"]), _decision(record, styles),
             Spacer(1, 4 * mm), _exceptions(record, styles), Spacer(1, 3 * mm),
             _din(record, styles)]
    for section in record.first_page:
        story.extend(_section(section, styles))
    return story


def _decision(record: RecordData, styles) -> Table:
    ink = FLAG_INK.get(record.decision.flag or "", "#1d2733")
    rows = [[Paragraph(f'<font color="{ink}">{text(record.decision.text)}</font>',
                       styles["decision"])]]
    rows += [[Paragraph(text(line), styles["base"])] for line in record.decision_lines]
    table = Table(rows, colWidths=[CONTENT_WIDTH])
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1.5, colors.HexColor(ink)),
        ("BACKGROUND", (0, 0), (-1, 0), FLAG_COLOURS.get(record.decision.flag or "",
                                                          colors.white)),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _exceptions(record: RecordData, styles) -> KeepTogether:
    heading = Paragraph(text(record.exceptions_title), styles["h2"])
    if not record.exceptions:
        return KeepTogether([heading, _flag_table([Flagged(record.no_exceptions, "ok")],
                                                  styles)])
    return KeepTogether([heading, _flag_table(list(record.exceptions), styles)])


def _flag_table(lines: list[Flagged], styles) -> Table:
    rows = [[Paragraph(f'<font color="{FLAG_INK.get(line.flag or "", "#1d2733")}">'
                       f"{text(line.text)}</font>", styles["base"])] for line in lines]
    table = Table(rows, colWidths=[CONTENT_WIDTH])
    commands = [("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, colors.lightgrey)]
    commands += [("BACKGROUND", (0, i), (-1, i), FLAG_COLOURS[line.flag])
                 for i, line in enumerate(lines) if line.flag in FLAG_COLOURS]
    table.setStyle(TableStyle(commands))
    return table


def _din(record: RecordData, styles) -> Table:
    barcode = Code128(record.din_barcode, barWidth=0.33 * mm, barHeight=11 * mm,
                      quiet=1, lquiet=4 * mm, rquiet=4 * mm)
    check = Table([[Paragraph(text(record.din_check), styles["din"])]])
    check.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, colors.black),
                               ("LEFTPADDING", (0, 0), (-1, -1), 3),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
    din = Table([[Paragraph(text(record.din_grouped), styles["din"]), check]],
                colWidths=[54 * mm, 9 * mm], hAlign="LEFT")
    label = Paragraph(text(record.din_label), styles["head"])
    table = Table([[label, din, barcode]],
                  colWidths=[CONTENT_WIDTH * 0.1, CONTENT_WIDTH * 0.4, CONTENT_WIDTH * 0.5])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("BOX", (0, 0), (-1, -1), 0.5, colors.grey)]))
    return table


def _section(section: Section, styles) -> list:
    parts = [Paragraph(text(section.title), styles["h2"])]
    if section.facts:
        parts.append(_facts(section.facts, styles))
    if section.table is not None and section.table.rows:
        parts.append(_table(section.table, styles))
    for line in section.paragraphs:
        parts.append(_flag_table([line], styles) if line.flag else
                     Paragraph(text(line.text), styles["base"]))
    if section.chart is not None:
        parts.append(growth_drawing(section.chart, CONTENT_WIDTH, 62 * mm))
    if section.empty and not (section.facts or (section.table and section.table.rows)
                              or section.paragraphs or section.chart):
        parts.append(Paragraph(text(section.empty), styles["small"]))
    return [KeepTogether(parts[:2]), *parts[2:]] if len(parts) > 1 else parts


def _facts(facts: tuple[tuple[str, str], ...], styles) -> Table:
    half = (len(facts) + 1) // 2
    columns = [facts[:half], facts[half:]]
    rows = []
    for index in range(half):
        row = []
        for column in columns:
            label, value = column[index] if index < len(column) else ("", "")
            row += [Paragraph(text(label), styles["head"]), Paragraph(text(value), styles["cell"])]
        rows.append(row)
    width = CONTENT_WIDTH / 2
    table = Table(rows, colWidths=[width * 0.38, width * 0.62] * 2)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _table(data: TableData, styles) -> Table:
    rows = [[Paragraph(text(column), styles["head"]) for column in data.columns]]
    rows += [[Paragraph(text(cell), styles["cell"]) for cell in row.cells] for row in data.rows]
    weights = data.widths or (1,) * len(data.columns)
    widths = [CONTENT_WIDTH * weight / sum(weights) for weight in weights]
    table = Table(rows, colWidths=widths, repeatRows=1)
    commands = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff2")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    commands += [("BACKGROUND", (0, i), (-1, i), FLAG_COLOURS[row.flag])
                 for i, row in enumerate(data.rows, start=1) if row.flag in FLAG_COLOURS]
    table.setStyle(TableStyle(commands))
    return table
