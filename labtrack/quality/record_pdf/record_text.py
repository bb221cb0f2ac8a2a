"""Literal text for ReportLab, laid out once: lines broken as a Paragraph would break them.

A release record holds several hundred short texts, nearly all of them table cells.
They are broken into lines here, once, exactly as a ReportLab ``Paragraph`` would break
them (same widths, same rules: see tests/unit/test_release_record_text.py), and handed
to tables as plain multi-line strings, which a Table lays out far more cheaply than one
``Paragraph`` per cell; each table then writes all its text in one PDF text object, the
superscript digits of "× 10⁶" smaller and raised as a Paragraph's ``<super>`` would be.
Nothing goes through Paragraph markup, so user text can never be read as markup.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Table
from reportlab.platypus.flowables import Flowable

from labtrack.pdf import SANS, SANS_BOLD
from labtrack.quality.record_pdf.record_chart import register_fonts

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


def cell_text(value: str | None, kind: Type, width: float, padding: float = PADDING) -> str:
    """A table cell: its lines, broken for the column (less the cell's padding)."""
    return "\n".join(lines_of(value, kind, width - 2 * padding))


class TextTable(Table):
    """A Table whose plain-text cells are all written in one PDF text object.

    ReportLab draws each line of a string cell as a text object of its own (origin, font,
    colour, text); here the table's lines share one, set where each cell starts and moved
    down a line at a time. Positions are those ReportLab computes for string cells, and
    superscript digits (for "× 10⁶") are drawn smaller and raised, as a Paragraph would.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Every cell in the embedded font, even one only a table style names (ReportLab's
        # default cell font is Helvetica, which cannot draw α or ₂).
        self.setStyle([("FONTNAME", (0, 0), (-1, -1), BASE.font)])

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


def font_command(kind: Type, start: tuple[int, int], stop: tuple[int, int]) -> tuple:
    return ("FONT", start, stop, kind.font, kind.size, kind.leading)


def column_widths(rows: list[list[str]], weights, total: float) -> list[float]:
    """Column widths sharing ``total`` by ``weights``, but never narrower than a column's
    longest word (row 0 is the header, in bold): identifiers such as DEV26-0002 are never
    split. What a column needs beyond its share comes from the others' room to spare."""
    wanted = [total * weight / sum(weights) for weight in weights]
    least = [max(_width(word, HEAD if index == 0 else CELL)
                 for index, row in enumerate(rows) for word in _words(row[column] or "-"))
             + 2 * PADDING for column in range(len(weights))]
    if sum(least) >= total:
        return wanted  # nothing can fit whole: share as asked, long words break
    widths = [max(w, low) for w, low in zip(wanted, least, strict=True)]
    excess = sum(widths) - total
    spare = [width - low for width, low in zip(widths, least, strict=True)]
    room = sum(spare)
    return [width - excess * share / room if room else width
            for width, share in zip(widths, spare, strict=True)]
