"""The growth chart for the PDF batch record, drawn with ReportLab graphics (log scale)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import reportlab
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from labtrack.reports.growth_chart import PASSAGE_COLOURS, TARGET_COLOUR, cells_label

FONT, FONT_SIZE = "Vera", 7
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 28
# Bitstream Vera ships with ReportLab: embedded, it prints ≥, ≤, ×, µ, ° and accented names.
FONT_DIR = Path(reportlab.__file__).resolve().parent / "fonts"
FONT_FILES = {"Vera": "Vera.ttf", "Vera-Bold": "VeraBd.ttf", "Vera-Italic": "VeraIt.ttf",
              "Vera-BoldItalic": "VeraBI.ttf"}


def register_fonts() -> None:
    """Register the Vera family once (bold and italic included, for Paragraph markup)."""
    if "Vera-BoldItalic" in pdfmetrics.getRegisteredFontNames():
        return
    for name, filename in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    for bold, italic, name in ((0, 0, "Vera"), (1, 0, "Vera-Bold"), (0, 1, "Vera-Italic"),
                               (1, 1, "Vera-BoldItalic")):
        addMapping("Vera", bold, italic, name)


@dataclass(frozen=True)
class ChartData:
    """Viable cells by culture day, one series per passage, and the target."""

    points: tuple[tuple[float, float, int], ...]  # (culture day, viable cells, passage)
    target: float
    x_label: str
    y_label: str
    target_label: str
    empty_label: str


class _Frame:
    def __init__(self, width: float, height: float, x_max: float, lo: int, hi: int):
        self.left, self.right = LEFT, width - RIGHT
        self.bottom, self.top = BOTTOM, height - TOP
        self.x_max, self.lo, self.hi = x_max, lo, hi

    def x(self, day: float) -> float:
        return self.left + (self.right - self.left) * day / self.x_max

    def y(self, cells: float) -> float:
        share = (math.log10(cells) - self.lo) / (self.hi - self.lo)
        return self.bottom + (self.top - self.bottom) * share


def growth_drawing(chart: ChartData, width: float, height: float) -> Drawing:
    """A legible chart: decade grid, day ticks, a line per passage, the dashed target."""
    register_fonts()
    drawing = Drawing(width, height)
    shown = sorted((p for p in chart.points if p[1] > 0), key=lambda p: p[0])
    if not shown:
        drawing.add(Rect(LEFT, BOTTOM, width - LEFT - RIGHT, height - TOP - BOTTOM,
                         strokeColor=colors.grey, fillColor=None))
        drawing.add(String(width / 2, height / 2, chart.empty_label, fontName=FONT,
                           fontSize=FONT_SIZE + 1, textAnchor="middle"))
        return drawing
    values = [c for _, c, _ in shown] + [chart.target]
    lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    x_max = max(7.0, math.ceil(max(d for d, _, _ in shown) / 7) * 7)
    frame = _Frame(width, height, x_max, lo, hi if hi > lo else lo + 1)
    _axes(drawing, frame, chart)
    _target(drawing, frame, chart)
    _series(drawing, frame, shown)
    return drawing


def _text(x: float, y: float, text: str, anchor: str = "middle", **kwargs) -> String:
    return String(x, y, text, fontName=FONT, fontSize=FONT_SIZE, textAnchor=anchor, **kwargs)


def _axes(drawing: Drawing, f: _Frame, chart: ChartData) -> None:
    drawing.add(Rect(f.left, f.bottom, f.right - f.left, f.top - f.bottom,
                     strokeColor=colors.grey, fillColor=None, strokeWidth=0.5))
    for decade in range(f.lo, f.hi + 1):
        y = f.y(10.0**decade)
        drawing.add(Line(f.left, y, f.right, y, strokeColor=colors.lightgrey, strokeWidth=0.4))
        drawing.add(_text(f.left - 3, y - 2.5, cells_label(10.0**decade), "end"))
    step = 7 if f.x_max > 21 else (2 if f.x_max > 7 else 1)
    for day in range(0, int(f.x_max) + 1, step):
        x = f.x(day)
        drawing.add(Line(x, f.bottom, x, f.bottom - 3, strokeColor=colors.grey, strokeWidth=0.5))
        drawing.add(_text(x, f.bottom - 11, str(day)))
    drawing.add(_text((f.left + f.right) / 2, 4, chart.x_label))
    drawing.add(_text(8, f.top + 4, chart.y_label, "start"))


def _target(drawing: Drawing, f: _Frame, chart: ChartData) -> None:
    y = f.y(chart.target)
    colour = colors.HexColor(TARGET_COLOUR)
    drawing.add(Line(f.left, y, f.right, y, strokeColor=colour, strokeWidth=1,
                     strokeDashArray=[5, 3]))
    drawing.add(_text(f.left + 3, y + 3, f"{chart.target_label} {cells_label(chart.target)}",
                      "start", fillColor=colour))


def _series(drawing: Drawing, f: _Frame, points: Sequence[tuple[float, float, int]]) -> None:
    passages = sorted({p for _, _, p in points})
    for index, passage in enumerate(passages):
        colour = colors.HexColor(PASSAGE_COLOURS[index % len(PASSAGE_COLOURS)])
        own = [(f.x(d), f.y(c)) for d, c, p in points if p == passage]
        if len(own) > 1:
            drawing.add(PolyLine([v for xy in own for v in xy], strokeColor=colour,
                                 strokeWidth=1.2))
        for x, y in own:
            drawing.add(Circle(x, y, 2, fillColor=colour, strokeColor=colour))
        lx = f.right - 30
        ly = f.bottom + 8 + 9 * index
        drawing.add(Line(lx, ly + 2, lx + 8, ly + 2, strokeColor=colour, strokeWidth=1.5))
        drawing.add(_text(lx + 11, ly, f"P{passage}", "start"))
