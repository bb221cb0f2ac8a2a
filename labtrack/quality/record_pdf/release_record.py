"""The PDF batch release record, from a plain data structure (no Flask, no database).

Laid out for review by exception: the decision and every out-of-specification, pending,
amended or exceptional item come first, on page 1, in colour and in words. Every page
carries the lab, the document id and "page X of Y". All text is drawn literally: nothing
the record prints goes through ReportLab's paragraph markup, so user text can never be
read as markup.

The text is laid out by ``labtrack.quality.record_pdf.record_text`` (lines broken once by
ReportLab's own line breaking, far cheaper than one Paragraph per cell).

Each exception on page 1 names the page of its detail ("see page N"). Sections and table
rows carry a key; the record is built, the page each key landed on is read, and it is
built again with those numbers until they no longer move (twice, nearly always).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from labtrack.pdf import SANS, SANS_BOLD
from labtrack.quality.record_pdf.record_chart import ChartData, growth_drawing, register_fonts
from labtrack.quality.record_pdf.record_text import (
    BASE,
    CELL,
    DECISION,
    DIN,
    H2,
    HEAD,
    SMALL,
    TITLE,
    TextBlock,
    TextTable,
    cell_text,
    column_widths,
    font_command,
)

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
    target: str | None = None  # the key of the section or row with the detail


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    flag: str | None = None
    key: str | None = None  # for "see page N" (a Flagged's target)


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
    key: str | None = None  # for "see page N" (a Flagged's target)


@dataclass(frozen=True)
class RecordData:
    """Everything the record prints; times are already local, with their zone."""

    lab_name: str
    title: str
    document_id: str
    document_label: str  # e.g. "Document BRR-MSC26-0001"
    identity_line: str  # batch, DIN and record number: on every page, so no loose page is
    #                     ever taken for another patient's
    page_label: str  # "Page %(page)d of %(pages)d"
    generated_label: str
    decision: Flagged
    decision_lines: tuple[str, ...]
    exceptions_title: str
    exceptions: tuple[Flagged, ...]
    no_exceptions: str
    see_page_label: str  # "(see page %(page)d)"
    din_label: str
    din_grouped: str
    din_check: str
    din_barcode: str
    first_page: tuple[Section, ...]
    sections: tuple[Section, ...]
    created_at: datetime | None = None  # the decision's time: the file's creation date


# --- the record -----------------------------------------------------------------------------


MAX_BUILDS = 4


def render_record(record: RecordData) -> bytes:
    """The record as PDF bytes, each exception naming the page of its detail."""
    register_fonts()
    wanted = {line.target for line in record.exceptions if line.target}
    if not wanted:
        return _build(record, {}, wanted)[0]
    # A first build only to find the pages (the PDF is not written out), then builds
    # with those page numbers until they stay where they are.
    pages = _build(record, {}, wanted, dry=True)[1]
    for _ in range(MAX_BUILDS - 1):
        pdf, found = _build(record, pages, wanted)
        if found == pages:
            break
        pages = found
    return pdf


class _Document(SimpleDocTemplate):
    """Notes the page each keyed heading or table row is drawn on."""

    def __init__(self, *args, wanted: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.wanted = wanted
        self.found: dict[str, int] = {}

    def afterFlowable(self, flowable):  # noqa: N802 (ReportLab's name)
        for key in getattr(flowable, "anchor_keys", ()):
            if key in self.wanted:
                self.found.setdefault(key, self.page)


def _build(record: RecordData, pages: dict[str, int], wanted: set[str],
           dry: bool = False) -> tuple[bytes, dict[str, int]]:
    buffer = io.BytesIO()
    doc = _Document(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 8 * mm,
        bottomMargin=MARGIN + 4 * mm, title=f"{record.title} {record.document_id}",
        author=record.lab_name, creator="LabTrack", producer="LabTrack (ReportLab)",
        subject=f"{record.document_id} · {record.identity_line}",
        keywords=record.identity_line, invariant=1,
        # each page's initial font is one the file embeds (ReportLab's default, Helvetica,
        # would be named on every page without being embedded)
        initialFontName=SANS, wanted=wanted)
    story = _first_page(record, pages)
    for section in record.sections:
        story.extend(_section(section))
    doc.build(story, onFirstPage=_header(record), onLaterPages=_header(record),
              canvasmaker=_numbered_canvas(record, dry))
    return buffer.getvalue(), doc.found


def _header(record: RecordData):
    def draw(canvas: Canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(SANS_BOLD, 8)
        top = A4[1] - MARGIN
        canvas.drawString(MARGIN, top, f"{record.lab_name} · {record.title}")
        canvas.setFont(SANS, 8)
        canvas.drawRightString(A4[0] - MARGIN, top, record.document_label)
        canvas.setFont(SANS_BOLD, 8)
        canvas.drawString(MARGIN, top - 11, record.identity_line)
        canvas.setStrokeColor(colors.grey)
        canvas.line(MARGIN, top - 14, A4[0] - MARGIN, top - 14)
        canvas.restoreState()

    return draw


def _numbered_canvas(record: RecordData, dry: bool = False):
    """A canvas that writes "page X of Y" on every page once the page count is known
    (``dry``: one that lays the pages out but writes no file)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.dry = dry  # lays the pages out, draws no text (record_text.is_dry)
            self._pages: list[dict] = []
            if record.created_at is not None:  # the same bytes for the same decision
                stamp = record.created_at.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
                self.setDateFormatter(lambda *_date: stamp)

        def showPage(self):  # noqa: N802 (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            if dry:
                return
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._footer(number, len(self._pages))
                super().showPage()
            super().save()

        def _footer(self, number: int, total: int) -> None:
            self.saveState()
            self.setFont(SANS, 7.5)
            bottom = MARGIN
            self.drawString(MARGIN, bottom, f"{record.document_label} · "
                                            f"{record.generated_label}")
            self.drawRightString(A4[0] - MARGIN, bottom,
                                 record.page_label % {"page": number, "pages": total})
            self.restoreState()

    return NumberedCanvas


def _first_page(record: RecordData, pages: dict[str, int]) -> list:
    story = [TextBlock(record.title, TITLE), _decision(record), Spacer(1, 4 * mm),
             _exceptions(record, pages), Spacer(1, 3 * mm), _din(record)]
    for section in record.first_page:
        story.extend(_section(section))
    return story


def _decision(record: RecordData) -> Table:
    ink = FLAG_INK.get(record.decision.flag or "", "#1d2733")
    rows = [[cell_text(record.decision.text, DECISION, CONTENT_WIDTH)]]
    rows += [[cell_text(line, BASE, CONTENT_WIDTH)] for line in record.decision_lines]
    table = TextTable(rows, colWidths=[CONTENT_WIDTH])
    table.setStyle(TableStyle([
        font_command(DECISION, (0, 0), (-1, 0)), ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.HexColor(ink)),
        font_command(BASE, (0, 1), (-1, -1)),
        ("BOX", (0, 0), (-1, -1), 1.5, colors.HexColor(ink)),
        ("BACKGROUND", (0, 0), (-1, 0), FLAG_COLOURS.get(record.decision.flag or "",
                                                          colors.white)),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _exceptions(record: RecordData, pages: dict[str, int]) -> KeepTogether:
    heading = TextBlock(record.exceptions_title, H2)
    if not record.exceptions:
        return KeepTogether([heading, _flag_table([Flagged(record.no_exceptions, "ok")])])
    return KeepTogether([heading, _flag_table([_with_page(line, record, pages)
                                               for line in record.exceptions])])


def _with_page(line: Flagged, record: RecordData, pages: dict[str, int]) -> Flagged:
    """The exception with the page of its detail; until that is known (the first build),
    a placeholder as wide as a page number, so the layout hardly moves."""
    if line.target is None:
        return line
    page = pages.get(line.target, 0 if pages else 88)
    if not page:
        return line  # the detail is not in the record (an empty section)
    return Flagged(f"{line.text} {record.see_page_label % {'page': page}}", line.flag)


def _flag_table(lines: list[Flagged]) -> Table:
    table = TextTable([[cell_text(line.text, BASE, CONTENT_WIDTH)] for line in lines],
                  colWidths=[CONTENT_WIDTH])
    commands = [font_command(BASE, (0, 0), (-1, -1)), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, colors.lightgrey)]
    for i, line in enumerate(lines):
        commands.append(("TEXTCOLOR", (0, i), (-1, i),
                         colors.HexColor(FLAG_INK.get(line.flag or "", "#1d2733"))))
        if line.flag in FLAG_COLOURS:
            commands.append(("BACKGROUND", (0, i), (-1, i), FLAG_COLOURS[line.flag]))
    table.setStyle(TableStyle(commands))
    return table


def _din(record: RecordData) -> Table:
    barcode = Code128(record.din_barcode, barWidth=0.33 * mm, barHeight=11 * mm,
                      quiet=1, lquiet=4 * mm, rquiet=4 * mm)
    check = TextTable([[record.din_check]])
    check.setStyle(TableStyle([font_command(DIN, (0, 0), (-1, -1)),
                               ("BOX", (0, 0), (-1, -1), 1, colors.black),
                               ("LEFTPADDING", (0, 0), (-1, -1), 3),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
    din = TextTable([[cell_text(record.din_grouped, DIN, 54 * mm), check]],
                colWidths=[54 * mm, 9 * mm], hAlign="LEFT")
    din.setStyle(TableStyle([font_command(DIN, (0, 0), (0, 0))]))
    widths = [CONTENT_WIDTH * 0.1, CONTENT_WIDTH * 0.4, CONTENT_WIDTH * 0.5]
    table = TextTable([[cell_text(record.din_label, HEAD, widths[0]), din, barcode]],
                      colWidths=widths)
    table.setStyle(TableStyle([font_command(HEAD, (0, 0), (0, 0)),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("BOX", (0, 0), (-1, -1), 0.5, colors.grey)]))
    return table


def _section(section: Section) -> list:
    heading = TextBlock(section.title, H2)
    heading.anchor_keys = (section.key,)
    parts = [heading]
    if section.facts:
        parts.append(_facts(section.facts))
    if section.table is not None and section.table.rows:
        parts.append(_table(section.table))
    for line in section.paragraphs:
        parts.append(_flag_table([line]) if line.flag else TextBlock(line.text, BASE))
    if section.chart is not None:
        parts.append(growth_drawing(section.chart, CONTENT_WIDTH, 62 * mm))
    if section.empty and not (section.facts or (section.table and section.table.rows)
                              or section.paragraphs or section.chart):
        parts.append(TextBlock(section.empty, SMALL))
    return [KeepTogether(parts[:2]), *parts[2:]] if len(parts) > 1 else parts


def _facts(facts: tuple[tuple[str, str], ...]) -> Table:
    half = (len(facts) + 1) // 2
    columns = [facts[:half], facts[half:]]
    width = CONTENT_WIDTH / 2
    widths = [width * 0.38, width * 0.62] * 2
    rows = []
    for index in range(half):
        row = []
        for column in columns:
            label, value = column[index] if index < len(column) else ("", "")
            row += [cell_text(label, HEAD, widths[0]), cell_text(value, CELL, widths[1])]
        rows.append(row)
    table = TextTable(rows, colWidths=widths)
    table.setStyle(TableStyle([font_command(HEAD, (0, 0), (0, -1)),
                               font_command(CELL, (1, 0), (1, -1)),
                               font_command(HEAD, (2, 0), (2, -1)),
                               font_command(CELL, (3, 0), (3, -1)),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _table(data: TableData) -> Table:
    weights = data.widths or (1,) * len(data.columns)
    texts = [list(data.columns), *(list(row.cells) for row in data.rows)]
    widths = column_widths(texts, weights, CONTENT_WIDTH)
    rows = [[cell_text(text, HEAD if i == 0 else CELL, width)
             for text, width in zip(cells, widths, strict=True)]
            for i, cells in enumerate([data.columns, *(row.cells for row in data.rows)])]
    table = TextTable(rows, colWidths=widths, repeatRows=1)
    table.anchor_keys = (None, *(row.key for row in data.rows))  # row 0: the header
    commands = [font_command(HEAD, (0, 0), (-1, 0)), font_command(CELL, (0, 1), (-1, -1)),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff2")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    commands += [("BACKGROUND", (0, i), (-1, i), FLAG_COLOURS[row.flag])
                 for i, row in enumerate(data.rows, start=1) if row.flag in FLAG_COLOURS]
    table.setStyle(TableStyle(commands))
    return table
