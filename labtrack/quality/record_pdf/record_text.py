"""Literal text for ReportLab, broken into lines by ReportLab's own line breaking.

A release record holds several hundred short texts, nearly all of them table cells.
Each is broken into lines once, by ReportLab's ``simpleSplit`` (between words only, so an
identifier such as DEV26-0002 or MSC26-0009-L4L5 is never cut; the columns are made at
least as wide as their longest word, see ``column_widths``), and handed to tables as a
plain multi-line string, which a Table lays out far more cheaply than one ``Paragraph``
per cell. Only a word wider than the whole column goes through a ReportLab
``Paragraph``, which breaks it at its hyphens (``embeddedHyphenation``) and, if that is
not enough, where the line is full (``splitLongWords``), so nothing ever prints over the
next column. Each table writes all its text in one PDF text object, the superscript
digits of "× 10⁶" smaller and raised as a Paragraph's ``<super>`` would be. Nothing the
record prints is read as Paragraph markup: the rare long word is escaped first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph, Table
from reportlab.platypus.flowables import Flowable

from labtrack.pdf import SANS, SANS_BOLD
from labtrack.quality.record_pdf.record_chart import register_fonts

PADDING = 6  # ReportLab's default left and right cell padding
SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6",
                "⁷": "7", "⁸": "8", "⁹": "9"}


@dataclass(frozen=True)
class Type:
    """A text style: font, size, leading, and the space around a block of it."""

    font: str
    size: float
    leading: float
    space_before: float = 0
    space_after: float = 0


BASE = Type(SANS, 8.5, 11)
SMALL = Type(SANS, 7.5, 9.5)
CELL = Type(SANS, 7.5, 9)
HEAD = Type(SANS_BOLD, 7.5, 9)
TITLE = Type(SANS_BOLD, 15, 19, space_after=4)
H2 = Type(SANS_BOLD, 10.5, 13, space_before=8, space_after=3)
DECISION = Type(SANS_BOLD, 13, 16)
DIN = Type(SANS_BOLD, 12, 14)


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
    """The width the text is drawn at (superscript digits smaller)."""
    plain, sup = _units(value, font)
    width = 0.001 * size * plain
    return width + 0.001 * _sup_size(size) * sup if sup else width


def _width(word: str, kind: Type) -> float:
    return _string_width(word, kind.font, kind.size)


def lines_of(value: str | None, kind: Type, width: float) -> list[str]:
    """``value`` broken into lines that fit ``width`` by ReportLab: runs of white space are
    one space, a line break is kept, lines break between words only; a word wider than
    ``width`` breaks at its hyphens, or where the line is full if it has none."""
    return list(_lines(value or "", kind, width))


@lru_cache(maxsize=8192)  # a record is laid out twice or more (for "see page N")
def _lines(value: str, kind: Type, width: float) -> tuple[str, ...]:
    register_fonts()
    lines: list[str] = []
    for part in value.replace("\r\n", "\n").split("\n"):
        words = part.split()
        if any(_width(word, kind) > width for word in words):
            lines += _paragraph_lines(" ".join(words), kind, width)
        else:
            lines += simpleSplit(" ".join(words), kind.font, kind.size, width) or [""]
    while lines and not lines[-1]:
        lines.pop()
    return tuple(lines)


def _paragraph_lines(text: str, kind: Type, width: float) -> list[str]:
    """A text with a word too long for a line, broken by a ReportLab Paragraph (the text
    escaped, so it is never read as markup): at hyphens first, then where the line is full."""
    style = ParagraphStyle("long-word", fontName=kind.font, fontSize=kind.size,
                           leading=kind.leading, embeddedHyphenation=1, splitLongWords=1,
                           uriWasteReduce=0)
    paragraph = Paragraph(escape(text), style)
    paragraph.wrap(width, 1_000_000)
    lines = paragraph.blPara.lines
    if paragraph.blPara.kind == 0:  # one fragment: each line is (space left, words)
        return [" ".join(words) for _, words in lines]
    return [" ".join("".join(frag.text for frag in line.words).split()) for line in lines]


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
        if is_dry(self.canv):
            return
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


def is_dry(canvas) -> bool:
    """True on a canvas that only lays pages out (to find page numbers): nothing is drawn."""
    return getattr(canvas, "dry", False)


def cell_text(value: str | None, kind: Type, width: float, padding: float = PADDING) -> str:
    """A table cell: its lines, broken for the column (less the cell's padding)."""
    return "\n".join(_lines(value or "", kind, width - 2 * padding))


class TextTable(Table):
    """A Table whose plain-text cells are all written in one PDF text object.

    ReportLab draws each line of a string cell as a text object of its own (origin, font,
    colour, text); here the table's lines share one, set where each cell starts and moved
    down a line at a time. Positions are those ReportLab computes for string cells, and
    superscript digits (for "× 10⁶") are drawn smaller and raised, as a Paragraph would.
    """

    anchor_keys: tuple[str | None, ...] = ()  # one per row, for "see page N"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every cell's font is one the file embeds, even where the table sets none (a
        # cell holding a flowable): ReportLab's default, Helvetica, would not be embedded.
        # (The parts of a split table are made with their cells' styles: left as they are.)
        if not kwargs.get("normalizedData"):
            self.setStyle([font_command(CELL, (0, 0), (-1, -1))])

    def split(self, available_width, available_height):
        """ReportLab's split, each part keeping the keys of its own rows (a part after
        the first starts with the repeated header)."""
        parts = super().split(available_width, available_height)
        if len(parts) == 2 and self.anchor_keys:
            first = len(parts[0]._cellvalues)
            parts[0].anchor_keys = self.anchor_keys[:first]
            parts[1].anchor_keys = (*self.anchor_keys[:self.repeatRows],
                                    *self.anchor_keys[first:])
        return parts

    def draw(self) -> None:
        if is_dry(self.canv):
            return
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


def font_command(kind: Type, start: tuple[int, int], stop: tuple[int, int]) -> tuple:
    return ("FONT", start, stop, kind.font, kind.size, kind.leading)


def column_widths(rows: list[list[str]], weights, total: float) -> list[float]:
    """Column widths sharing ``total`` by ``weights``, but never narrower than a column's
    longest word (row 0 is the header, in bold): identifiers such as DEV26-0002 are never
    split. What a column needs beyond its share comes from the others' room to spare."""
    wanted = [total * weight / sum(weights) for weight in weights]
    least = [max(_width(word, HEAD if index == 0 else CELL)
                 for index, row in enumerate(rows) for word in (row[column] or "-").split())
             + 2 * PADDING for column in range(len(weights))]
    if sum(least) >= total:
        return wanted  # nothing can fit whole: share as asked, long words break
    widths = [max(w, low) for w, low in zip(wanted, least, strict=True)]
    excess = sum(widths) - total
    spare = [width - low for width, low in zip(widths, least, strict=True)]
    room = sum(spare)
    return [width - excess * share / room if room else width
            for width, share in zip(widths, spare, strict=True)]
