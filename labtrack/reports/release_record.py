"""The PDF batch release record, from a plain data structure (no Flask, no database).

Laid out for review by exception: the decision and every out-of-specification, pending,
amended or exceptional item come first, on page 1, in colour and in words. Every page
carries the lab, the document id and "page X of Y". All text is drawn literally: nothing
the record prints goes through ReportLab's paragraph markup, so user text can never be
read as markup.

Speed: a record holds several hundred short texts, nearly all of them table cells. They
are broken into lines here, once, exactly as a ReportLab ``Paragraph`` would break them
(same widths, same rules: see tests/unit/test_release_record_text.py), and handed to the
tables as plain multi-line strings, which a Table lays out far more cheaply than one
``Paragraph`` per cell; each table then writes all its text in one PDF text object, the
superscript digits of "× 10⁶" smaller and raised as a Paragraph's ``<super>`` would be.
"""

from __future__ import annotations

import io
import re
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

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


# --- text: one font, broken into lines as a ReportLab Paragraph would break it --------------

PADDING = 6  # ReportLab's default left and right cell padding
SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6",
                "⁷": "7", "⁸": "8", "⁹": "9"}
# What a Paragraph splits words on (reportlab.platypus.paragraph._wsc); no-break space is not.
_SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
           "\u2006\u2007\u2008\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u3000")
_SPACE_RUNS = re.compile(f"[{re.escape(_SPACES)}]+")
SPACE_SHRINKAGE = 0.05  # reportlab.rl_config.spaceShrinkage, as a Paragraph uses it


@dataclass(frozen=True)
class Type:
    """A text style: font, size, leading, and the space around a block of it."""

    font: str
    size: float
    leading: float
    space_before: float = 0
    space_after: float = 0


BASE = Type("Vera", 8.5, 11)
SMALL = Type("Vera", 7.5, 9.5)
CELL = Type("Vera", 7.5, 9)
HEAD = Type("Vera-Bold", 7.5, 9)
TITLE = Type("Vera-Bold", 15, 19, space_after=4)
H2 = Type("Vera-Bold", 10.5, 13, space_before=8, space_after=3)
DECISION = Type("Vera-Bold", 13, 16)
DIN = Type("Vera-Bold", 12, 14)


@lru_cache(maxsize=8)
def _face(font: str):
    register_fonts()
    face = pdfmetrics.getFont(font).face
    return face.charWidths.get, face.defaultWidth


@lru_cache(maxsize=16384)
def _units(word: str, font: str) -> tuple[float, float]:
    """The word's width in font units (per 1000 pt of size): ordinary and superscript."""
    width, default = _face(font)
    plain = sup = 0
    for character in word:
        digit = SUPERSCRIPTS.get(character)
        if digit is None:
            plain += width(ord(character), default)
        else:
            sup += width(ord(digit), default)
    return plain, sup


def _sup_size(size: float) -> float:
    """A superscript's size, as in a Paragraph's ``<super>``: 20 % smaller, at most 2 pt."""
    return size - min(2, 0.2 * size)


def _string_width(value: str, font: str, size: float) -> float:
    plain, sup = _units(value, font)
    width = 0.001 * size * plain  # exactly ReportLab's stringWidth, to break lines alike
    return width + 0.001 * _sup_size(size) * sup if sup else width


def _width(word: str, kind: Type) -> float:
    return _string_width(word, kind.font, kind.size)


def lines_of(value: str | None, kind: Type, width: float) -> list[str]:
    """``value`` broken into lines that fit ``width``, the way a Paragraph breaks them:
    runs of white space are one space, a line break is kept, long words are split."""
    lines: list[str] = []
    for part in (value or "").replace("\r\n", "\n").split("\n"):
        words = _words(part)
        line = " ".join(words)
        if _width(line, kind) <= width:  # the usual case: it all fits on one line
            lines.append(line)
        else:
            lines += _break(words, kind, width)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _words(text: str) -> list[str]:
    """The words of a line as a Paragraph splits them (``paragraph.split``): at any white
    space, except at a no-break space when the text has one."""
    if "\xa0" in text:
        return [word for word in _SPACE_RUNS.split(text) if word]
    return text.split()


def _break(words: list[str], kind: Type, max_width: float) -> list[str]:
    if not words:
        return [""]
    space = _width(" ", kind)
    shrink = SPACE_SHRINKAGE * space
    lines, line, current = [], [], -space
    queue, forced = deque((word, False) for word in words), False
    while queue:
        word, piece = queue.popleft()
        word_width = _width(word, kind)
        new = current + space + word_width
        limit = max_width + shrink * len(line)
        if new > limit and not forced and not piece and word_width > max_width:
            queue.extendleft(reversed([(p, True) for p in
                                       _split_word(word, current + space, max_width, kind)]))
            forced = True
            continue
        if new <= limit or not line or forced:
            if word:
                line.append(word)
            if forced:
                forced = False
                lines.append(" ".join(line))
                line, current = [], -space
            else:
                current = new
        else:
            lines.append(" ".join(line))
            line, current = [word], word_width
    if line:
        lines.append(" ".join(line))
    return lines


def _split_word(word: str, used: float, max_width: float, kind: Type) -> list[str]:
    """A word too long for a line, cut where the line is full (the first piece fills
    what is left of the current line)."""
    pieces, text = [], ""
    for character in word:
        width = _width(character, kind)
        new = used + width
        if new > max_width and (text or width <= max_width):
            pieces.append(text)
            text, new = "", width
        text += character
        used = new
    pieces.append(text)
    return pieces


_SUPERSCRIPT_SET = frozenset(SUPERSCRIPTS)


def _has_superscript(value: str) -> bool:
    return not _SUPERSCRIPT_SET.isdisjoint(value)


class TextBlock(Flowable):
    """Literal text in one style, broken into lines at the width it is given."""

    def __init__(self, value: str | None, kind: Type):
        super().__init__()
        self.value, self.kind = value or "", kind
        self.spaceBefore, self.spaceAfter = kind.space_before, kind.space_after
        self._lines: list[str] = []
        self._for_width: float | None = None

    def wrap(self, available_width, available_height):
        if available_width != self._for_width:
            self._lines = lines_of(self.value, self.kind, available_width)
            self._for_width = available_width
        self.width = available_width
        self.height = len(self._lines) * self.kind.leading
        return self.width, self.height

    def draw(self) -> None:
        kind = self.kind
        text = self.canv.beginText(0, self.height - kind.size)
        text.setFont(kind.font, kind.size, kind.leading)
        text.setFillColor(colors.black)
        for line in self._lines:
            _write_line(text, line, kind.font, kind.size, kind.leading)
        self.canv.drawText(text)


def _write_line(text, line: str, font: str, size: float, leading: float) -> None:
    """One line into a PDF text object, which then moves down a line. Superscript digits
    are drawn smaller and raised, as a Paragraph draws ``<super>``."""
    if not _has_superscript(line):
        text.textLine(line)
        return
    for run, sup in _runs(line):
        if sup:
            text.setFont(font, _sup_size(size), leading)
            text.setRise(size * 0.5)
            text.textOut(run)
            text.setRise(0)
            text.setFont(font, size, leading)
        else:
            text.textOut(run)
    text.textLine("")


def _runs(line: str) -> list[tuple[str, bool]]:
    """The line as runs of ordinary text and of superscript digits (as plain digits)."""
    runs: list[tuple[str, bool]] = []
    for character in line:
        digit = SUPERSCRIPTS.get(character)
        sup = digit is not None
        if runs and runs[-1][1] == sup:
            runs[-1] = (runs[-1][0] + (digit or character), sup)
        else:
            runs.append((digit or character, sup))
    return runs


def _cell(value: str | None, kind: Type, width: float, padding: float = PADDING) -> str:
    """A table cell: its lines, broken for the column (less the cell's padding)."""
    return "\n".join(lines_of(value, kind, width - 2 * padding))


class _Table(Table):
    """A Table whose plain-text cells are all written in one PDF text object.

    ReportLab draws each line of a string cell as a text object of its own (origin, font,
    colour, text); here the table's lines share one, set where each cell starts and moved
    down a line at a time. Positions are those ReportLab computes for string cells, and
    superscript digits (for "× 10⁶") are drawn smaller and raised, as a Paragraph would.
    """

    def draw(self) -> None:
        self._text = self.canv.beginText()
        self._text_style = self._text_colour = None
        super().draw()
        self.canv.saveState()
        self.canv.drawText(self._text)
        self.canv.restoreState()
        del self._text

    def _drawCell(self, cellval, cellstyle, pos, size):  # noqa: N802 (ReportLab's name)
        if not isinstance(cellval, str) or cellstyle.alignment not in ("LEFT", "CENTRE",
                                                                        "CENTER"):
            return super()._drawCell(cellval, cellstyle, pos, size)
        if not cellval:
            return None
        text, lines = self._text, cellval.split("\n")
        font, font_size, leading = cellstyle.fontname, cellstyle.fontsize, cellstyle.leading
        if self._text_style != (font, font_size, leading):
            text.setFont(font, font_size, leading)
            self._text_style = (font, font_size, leading)
        if self._text_colour != cellstyle.color:
            text.setFillColor(cellstyle.color)
            self._text_colour = cellstyle.color
        (x, row), (width, height) = pos, size
        n = len(lines)
        if cellstyle.valign == "TOP":
            y = row + height - cellstyle.topPadding - font_size
        elif cellstyle.valign == "BOTTOM":
            y = row + cellstyle.bottomPadding + n * leading - font_size
        else:
            y = row + (cellstyle.bottomPadding + height - cellstyle.topPadding
                       + n * leading) / 2 - font_size
        if cellstyle.alignment == "LEFT":
            text.setTextOrigin(x + cellstyle.leftPadding, y)
            for line in lines:
                _write_line(text, line, font, font_size, leading)
            return None
        centre = x + (width + cellstyle.leftPadding - cellstyle.rightPadding) / 2
        for line in lines:
            text.setTextOrigin(centre - _string_width(line, font, font_size) / 2, y)
            _write_line(text, line, font, font_size, leading)
            y -= leading
        return None


def _font(kind: Type, start: tuple[int, int], stop: tuple[int, int]) -> tuple:
    return ("FONT", start, stop, kind.font, kind.size, kind.leading)


# --- the record -----------------------------------------------------------------------------


def render_record(record: RecordData) -> bytes:
    """The record as PDF bytes."""
    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 6 * mm,
        bottomMargin=MARGIN + 4 * mm, title=f"{record.title} {record.document_id}",
        author=record.lab_name, creator="LabTrack", subject=record.document_id, invariant=1)
    story = _first_page(record)
    for section in record.sections:
        story.extend(_section(section))
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


def _first_page(record: RecordData) -> list:
    story = [TextBlock(record.title, TITLE), _decision(record), Spacer(1, 4 * mm),
             _exceptions(record), Spacer(1, 3 * mm), _din(record)]
    for section in record.first_page:
        story.extend(_section(section))
    return story


def _decision(record: RecordData) -> Table:
    ink = FLAG_INK.get(record.decision.flag or "", "#1d2733")
    rows = [[_cell(record.decision.text, DECISION, CONTENT_WIDTH)]]
    rows += [[_cell(line, BASE, CONTENT_WIDTH)] for line in record.decision_lines]
    table = _Table(rows, colWidths=[CONTENT_WIDTH])
    table.setStyle(TableStyle([
        _font(DECISION, (0, 0), (-1, 0)), ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.HexColor(ink)),
        _font(BASE, (0, 1), (-1, -1)),
        ("BOX", (0, 0), (-1, -1), 1.5, colors.HexColor(ink)),
        ("BACKGROUND", (0, 0), (-1, 0), FLAG_COLOURS.get(record.decision.flag or "",
                                                          colors.white)),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _exceptions(record: RecordData) -> KeepTogether:
    heading = TextBlock(record.exceptions_title, H2)
    if not record.exceptions:
        return KeepTogether([heading, _flag_table([Flagged(record.no_exceptions, "ok")])])
    return KeepTogether([heading, _flag_table(list(record.exceptions))])


def _flag_table(lines: list[Flagged]) -> Table:
    table = _Table([[_cell(line.text, BASE, CONTENT_WIDTH)] for line in lines],
                  colWidths=[CONTENT_WIDTH])
    commands = [_font(BASE, (0, 0), (-1, -1)), ("VALIGN", (0, 0), (-1, -1), "TOP"),
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
    check = _Table([[record.din_check]])
    check.setStyle(TableStyle([_font(DIN, (0, 0), (-1, -1)),
                               ("BOX", (0, 0), (-1, -1), 1, colors.black),
                               ("LEFTPADDING", (0, 0), (-1, -1), 3),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
    din = _Table([[_cell(record.din_grouped, DIN, 54 * mm), check]],
                colWidths=[54 * mm, 9 * mm], hAlign="LEFT")
    din.setStyle(TableStyle([_font(DIN, (0, 0), (0, 0))]))
    widths = [CONTENT_WIDTH * 0.1, CONTENT_WIDTH * 0.4, CONTENT_WIDTH * 0.5]
    table = _Table([[_cell(record.din_label, HEAD, widths[0]), din, barcode]], colWidths=widths)
    table.setStyle(TableStyle([_font(HEAD, (0, 0), (0, 0)),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("BOX", (0, 0), (-1, -1), 0.5, colors.grey)]))
    return table


def _section(section: Section) -> list:
    parts = [TextBlock(section.title, H2)]
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
            row += [_cell(label, HEAD, widths[0]), _cell(value, CELL, widths[1])]
        rows.append(row)
    table = _Table(rows, colWidths=widths)
    table.setStyle(TableStyle([_font(HEAD, (0, 0), (0, -1)), _font(CELL, (1, 0), (1, -1)),
                               _font(HEAD, (2, 0), (2, -1)), _font(CELL, (3, 0), (3, -1)),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _table(data: TableData) -> Table:
    weights = data.widths or (1,) * len(data.columns)
    widths = [CONTENT_WIDTH * weight / sum(weights) for weight in weights]
    rows = [[_cell(text, HEAD if i == 0 else CELL, width)
             for text, width in zip(cells, widths, strict=True)]
            for i, cells in enumerate([data.columns, *(row.cells for row in data.rows)])]
    table = _Table(rows, colWidths=widths, repeatRows=1)
    commands = [_font(HEAD, (0, 0), (-1, 0)), _font(CELL, (0, 1), (-1, -1)),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff2")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    commands += [("BACKGROUND", (0, i), (-1, i), FLAG_COLOURS[row.flag])
                 for i, row in enumerate(data.rows, start=1) if row.flag in FLAG_COLOURS]
    table.setStyle(TableStyle(commands))
    return table
