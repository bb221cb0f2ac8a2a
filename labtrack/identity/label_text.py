"""Fitting label text into its place: measured with the label font, shrunk, wrapped or cut.

Every label is laid out once in millimetres (``label_layout``) and then drawn as PDF or
ZPL, so both print the same lines at the same places. Text is measured with the embedded
DejaVu Sans Condensed (``labtrack.pdf``), as wide as Helvetica and wider than the thermal
printers' scalable font, so a line that fits here fits on the printer too.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from labtrack.pdf import CONDENSED, CONDENSED_BOLD, glyph_map

REGULAR = CONDENSED
BOLD = CONDENSED_BOLD
MAX_TEXT_CHARS = 200
ELLIPSIS = "…"
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SUPERSCRIPT_SCALE = 0.7  # a superscript digit is drawn at 70 % of the line's size, raised
SUPERSCRIPT_RISE = 0.4


@dataclass(frozen=True)
class Run:
    """Part of a line in one style: ordinary text, or superscript digits (the 6 of 10⁶)."""

    text: str
    superscript: bool = False


def printable(text: str) -> str:
    """One line the label font can show: whitespace folded, characters it lacks '?'.

    Superscript digits stay: they are drawn as small raised digits, not as glyphs.
    """
    line = " ".join(str(text)[:MAX_TEXT_CHARS].split())
    drawn = glyph_map(REGULAR) & glyph_map(BOLD)
    return "".join(char if char in SUPERSCRIPT_DIGITS or ord(char) in drawn else "?"
                   for char in line)


def runs(line: str) -> list[Run]:
    """The line split into ordinary and superscript runs, in order."""
    found: list[Run] = []
    for char in line:
        raised = char in SUPERSCRIPT_DIGITS
        shown = str(SUPERSCRIPT_DIGITS.index(char)) if raised else char
        if found and found[-1].superscript == raised:
            found[-1] = Run(found[-1].text + shown, raised)
        else:
            found.append(Run(shown, raised))
    return found


def width_of(line: str, font: str, size: float) -> float:
    """The printed width of a line in points, superscripts at their smaller size."""
    return sum(stringWidth(run.text, font, size * (SUPERSCRIPT_SCALE if run.superscript else 1))
               for run in runs(line))


def cut(line: str, font: str, size: float, width: float) -> str:
    """``line`` cut with an ellipsis where it would overflow ``width`` points."""
    if width_of(line, font, size) <= width:
        return line
    while line and width_of(line + ELLIPSIS, font, size) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def shrunk(line: str, font: str, size: float, width: float, smallest: float) -> float:
    """``size``, or smaller down to ``smallest`` where that makes the line fit."""
    while size > smallest and width_of(line, font, size) > width:
        size = round(size - 0.05, 2)
    return size


def wrapped(text: str, font: str, size: float, width: float, lines: int,
            smallest: float) -> tuple[list[str], float]:
    """The text broken between words into at most ``lines`` lines, shrinking the size as
    needed; never cut. Returns the lines and the size they fit at."""
    while True:
        broken = simpleSplit(text, font, size, width)
        fits = len(broken) <= lines and all(width_of(part, font, size) <= width
                                            for part in broken)
        if fits or size <= smallest:
            return broken, size
        size = round(size - 0.1, 2)


def points(millimetres: float) -> float:
    return millimetres * mm
