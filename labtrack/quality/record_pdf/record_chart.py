"""The growth chart for the PDF batch record, drawn on the PDF canvas (log scale)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus.flowables import Flowable

from labtrack.culture.growth_chart import PASSAGE_COLOURS, TARGET_COLOUR, cells_label
from labtrack.culture.rules.chart_scale import ChartScale, decades, plotted
from labtrack.pdf import SANS, register_fonts

__all__ = ["ChartData", "growth_drawing", "register_fonts"]

FONT, FONT_SIZE = SANS, 7
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 28


@dataclass(frozen=True)
class ChartData:
    """Viable cells by culture day, one series per passage, and the target."""

    points: tuple[tuple[float, float, int], ...]  # (culture day, viable cells, passage)
    target: float
    x_label: str
    y_label: str
    target_label: str
    empty_label: str


def growth_drawing(chart: ChartData, width: float, height: float) -> GrowthChart:
    """A legible chart: decade grid, day ticks, a line per passage, the dashed target."""
    return GrowthChart(chart, width, height)


class GrowthChart(Flowable):
    """The chart drawn straight onto the canvas: one path per kind of line, one per
    passage's markers and one text object for every label, rather than a ReportLab
    Drawing of a hundred shapes rendered one by one (the look is the same)."""

    def __init__(self, chart: ChartData, width: float, height: float):
        super().__init__()
        self.chart, self.width, self.height = chart, width, height

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self) -> None:
        if getattr(self.canv, "dry", False):  # only laying the pages out
            return
        register_fonts()
        canvas, chart = self.canv, self.chart
        canvas.setLineCap(0)
        canvas.setLineJoin(0)
        labels = _Labels(canvas)
        shown = plotted(chart.points)
        if not shown:
            canvas.setStrokeColor(colors.grey)
            canvas.setLineWidth(1)
            canvas.rect(LEFT, BOTTOM, self.width - LEFT - RIGHT, self.height - TOP - BOTTOM,
                        stroke=1, fill=0)
            labels.add(self.width / 2, self.height / 2, chart.empty_label, "middle",
                       size=FONT_SIZE + 1)
            labels.draw()
            return
        x_max = max(7.0, math.ceil(max(d for d, _, _ in shown) / 7) * 7)
        frame = ChartScale(LEFT, self.width - RIGHT, BOTTOM, self.height - TOP, x_max,
                           *decades([c for _, c, _ in shown] + [chart.target]))
        _axes(canvas, labels, frame, chart)
        _target(canvas, labels, frame, chart)
        _series(canvas, labels, frame, shown)
        labels.draw()


class _Labels:
    """Every label of the chart, written in one text object at the end."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.text = canvas.beginText()
        self.style = None

    def add(self, x: float, y: float, text: str, anchor: str = "middle",
            colour=colors.black, size: float = FONT_SIZE) -> None:
        if anchor != "start":
            width = pdfmetrics.stringWidth(text, FONT, size)
            x -= width if anchor == "end" else width / 2
        if self.style != (colour, size):
            self.text.setFont(FONT, size)
            self.text.setFillColor(colour)
            self.style = (colour, size)
        self.text.setTextOrigin(x, y)
        self.text.textOut(text)

    def draw(self) -> None:
        self.canvas.drawText(self.text)


def _stroke(canvas, segments, colour, width: float, dash=None) -> None:
    """Straight segments ((x0, y0, x1, y1), …) stroked as one path."""
    path = canvas.beginPath()
    for x0, y0, x1, y1 in segments:
        path.moveTo(x0, y0)
        path.lineTo(x1, y1)
    canvas.setStrokeColor(colour)
    canvas.setLineWidth(width)
    if dash:
        canvas.setDash(dash)
    canvas.drawPath(path, stroke=1, fill=0)
    if dash:
        canvas.setDash()


def _axes(canvas, labels: _Labels, f: ChartScale, chart: ChartData) -> None:
    canvas.setStrokeColor(colors.grey)
    canvas.setLineWidth(0.5)
    canvas.rect(f.left, f.bottom, f.right - f.left, f.top - f.bottom, stroke=1, fill=0)
    grid = []
    for decade in range(f.lo, f.hi + 1):
        y = f.y(10.0**decade)
        grid.append((f.left, y, f.right, y))
        labels.add(f.left - 3, y - 2.5, cells_label(10.0**decade), "end")
    _stroke(canvas, grid, colors.lightgrey, 0.4)
    step = 7 if f.x_max > 21 else (2 if f.x_max > 7 else 1)
    ticks = []
    for day in range(0, int(f.x_max) + 1, step):
        x = f.x(day)
        ticks.append((x, f.bottom, x, f.bottom - 3))
        labels.add(x, f.bottom - 11, str(day))
    _stroke(canvas, ticks, colors.grey, 0.5)
    labels.add((f.left + f.right) / 2, 4, chart.x_label)
    labels.add(8, f.top + 4, chart.y_label, "start")


def _target(canvas, labels: _Labels, f: ChartScale, chart: ChartData) -> None:
    y = f.y(chart.target)
    colour = colors.HexColor(TARGET_COLOUR)
    _stroke(canvas, [(f.left, y, f.right, y)], colour, 1, dash=[5, 3])
    labels.add(f.left + 3, y + 3, f"{chart.target_label} {cells_label(chart.target)}",
               "start", colour)


def _series(canvas, labels: _Labels, f: ChartScale,
            points: Sequence[tuple[float, float, int]]) -> None:
    passages = sorted({p for _, _, p in points})
    for index, passage in enumerate(passages):
        colour = colors.HexColor(PASSAGE_COLOURS[index % len(PASSAGE_COLOURS)])
        own = [(f.x(d), f.y(c)) for d, c, p in points if p == passage]
        canvas.setStrokeColor(colour)
        canvas.setFillColor(colour)
        if len(own) > 1:
            line = canvas.beginPath()
            line.moveTo(*own[0])
            for x, y in own[1:]:
                line.lineTo(x, y)
            canvas.setLineWidth(1.2)
            canvas.drawPath(line, stroke=1, fill=0)
        markers = canvas.beginPath()
        for x, y in own:
            markers.circle(x, y, 2)
        canvas.setLineWidth(1)
        canvas.drawPath(markers, stroke=1, fill=1)
        lx = f.right - 30
        ly = f.bottom + 8 + 9 * index
        _stroke(canvas, [(lx, ly + 2, lx + 8, ly + 2)], colour, 1.5)
        labels.add(lx + 11, ly, f"P{passage}", "start")
