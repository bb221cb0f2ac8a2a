"""Labels as PDF: one label-sized page per label, or labels on A4 sheets (label_layout)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labtrack import pdf  # noqa: F401  (ReportLab settings before any PDF is drawn)
from labtrack.identity.datamatrix import datamatrix_codewords, datamatrix_modules
from labtrack.identity.label_layout import (
    AUTOLOGOUS_WARNING,
    SAMPLE_STOCK,
    Bars,
    DoseLabelData,
    LabelData,
    Layout,
    Line,
    Matrix,
    Stock,
    cap_height,
    dose_layout,
    sample_layout,
)
from labtrack.identity.label_text import (
    SUPERSCRIPT_RISE,
    SUPERSCRIPT_SCALE,
    runs,
    width_of,
)

__all__ = ["AUTOLOGOUS_WARNING", "LABEL_HEIGHT", "LABEL_WIDTH", "LAYOUTS", "DoseLabelData",
           "LabelData", "datamatrix_codewords", "datamatrix_modules", "label_pdf",
           "layout_of", "sheet_slots"]

LABEL_WIDTH = SAMPLE_STOCK.width * mm
LABEL_HEIGHT = SAMPLE_STOCK.height * mm
LAYOUTS = ("single", "sheet")
SHEET_MARGIN = 10 * mm
SHEET_GUTTER_X = 5 * mm
SHEET_GUTTER_Y = 2.5 * mm


def layout_of(label: LabelData | DoseLabelData, stock: Stock | None = None) -> Layout:
    """The label's layout on its stock (the sample or dose stock unless one is given)."""
    if isinstance(label, DoseLabelData):
        return dose_layout(label, stock) if stock else dose_layout(label)
    return sample_layout(label, stock) if stock else sample_layout(label)


def label_pdf(labels: Iterable[LabelData | DoseLabelData], layout: str = "single",
              title: str = "LabTrack labels", stock: Stock | None = None) -> bytes:
    """PDF with one label-sized page per label ("single") or labels on A4 sheets ("sheet")."""
    labels = list(labels)
    if layout not in LAYOUTS:
        raise ValueError(f"Unknown label layout {layout!r}; use one of {', '.join(LAYOUTS)}.")
    if not labels:
        raise ValueError("There are no labels to print.")
    layouts = [layout_of(label, stock) for label in labels]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("LabTrack")
    canvas.setSubject("ISBT 128 labels: " + ", ".join(label.din.text for label in labels))
    if layout == "single":
        _draw_single_pages(canvas, layouts)
    else:
        _draw_sheets(canvas, layouts)
    canvas.save()
    return buffer.getvalue()


def sheet_slots(stock: Stock = SAMPLE_STOCK) -> list[tuple[float, float]]:
    """Bottom-left corners (points) of the label cells on one A4 sheet, row by row."""
    page_width, page_height = A4
    width, height = stock.width * mm, stock.height * mm
    columns = int((page_width - 2 * SHEET_MARGIN + SHEET_GUTTER_X) // (width + SHEET_GUTTER_X))
    rows = int((page_height - 2 * SHEET_MARGIN + SHEET_GUTTER_Y) // (height + SHEET_GUTTER_Y))
    grid_width = columns * width + (columns - 1) * SHEET_GUTTER_X
    grid_height = rows * height + (rows - 1) * SHEET_GUTTER_Y
    left = (page_width - grid_width) / 2
    top = (page_height + grid_height) / 2
    return [(left + column * (width + SHEET_GUTTER_X),
             top - (row + 1) * height - row * SHEET_GUTTER_Y)
            for row in range(rows) for column in range(columns)]


def draw_layout(canvas: Canvas, layout: Layout, x: float = 0, y: float = 0) -> None:
    """Draw one label with its bottom-left corner at (x, y)."""
    canvas.saveState()
    canvas.translate(x, y)
    height = layout.stock.height
    for item in layout.items:
        if isinstance(item, Bars):
            _draw_bars(canvas, item, height)
        elif isinstance(item, Matrix):
            _draw_matrix(canvas, item, height)
        else:
            _draw_line(canvas, item, height)
    canvas.restoreState()


def _draw_single_pages(canvas: Canvas, layouts: list[Layout]) -> None:
    for layout in layouts:
        canvas.setPageSize((layout.stock.width * mm, layout.stock.height * mm))
        draw_layout(canvas, layout)
        canvas.showPage()


def _draw_sheets(canvas: Canvas, layouts: list[Layout]) -> None:
    slots = sheet_slots(layouts[0].stock)
    for start in range(0, len(layouts), len(slots)):
        canvas.setPageSize(A4)
        for layout, (x, y) in zip(layouts[start:start + len(slots)], slots, strict=False):
            _draw_cut_guide(canvas, layout.stock, x, y)
            draw_layout(canvas, layout, x, y)
        canvas.showPage()


def _draw_cut_guide(canvas: Canvas, stock: Stock, x: float, y: float) -> None:
    canvas.saveState()
    canvas.setStrokeGray(0.75)
    canvas.setLineWidth(0.25)
    canvas.rect(x, y, stock.width * mm, stock.height * mm, stroke=1, fill=0)
    canvas.restoreState()


def _draw_bars(canvas: Canvas, bars: Bars, height: float) -> None:
    symbol = Code128(bars.data, barWidth=bars.module * mm, barHeight=bars.height * mm,
                     quiet=1, lquiet=bars.quiet * mm, rquiet=bars.quiet * mm)
    symbol.drawOn(canvas, (bars.x - bars.quiet) * mm, (height - bars.y - bars.height) * mm)


def _draw_matrix(canvas: Canvas, matrix: Matrix, height: float) -> None:
    module = matrix.module * mm
    top = (height - matrix.y) * mm
    for row_index, row in enumerate(datamatrix_modules(matrix.data)):
        for column_index, dark in enumerate(row):
            if dark:
                canvas.rect(matrix.x * mm + column_index * module, top - (row_index + 1) * module,
                            module, module, stroke=0, fill=1)


def _draw_line(canvas: Canvas, line: Line, height: float) -> None:
    baseline = (height - line.baseline) * mm
    left = line.x * mm
    if line.centred:
        left -= width_of(line.text, line.font, line.size) / 2
    if line.boxed:
        _draw_box(canvas, line, left, baseline)
        return
    for run in runs(line.text):
        size = line.size * (SUPERSCRIPT_SCALE if run.superscript else 1)
        rise = line.size * SUPERSCRIPT_RISE if run.superscript else 0
        canvas.setFont(line.font, size)
        canvas.drawString(left, baseline + rise, run.text)
        left += width_of(run.text, line.font, size)


def _draw_box(canvas: Canvas, line: Line, left: float, baseline: float) -> None:
    """The check character in its box, a 0 slashed so it cannot be read as the letter O."""
    padding, char = 0.8, line.text
    width = width_of(char, line.font, line.size)
    cap = cap_height(line.font, line.size) * mm
    canvas.setFont(line.font, line.size)
    canvas.drawString(left + padding, baseline, char)
    canvas.setLineWidth(0.5)
    canvas.rect(left, baseline - 1.5, width + 2 * padding, cap + 3, stroke=1, fill=0)
    if char == "0":
        canvas.line(left + padding + 1, baseline - 0.5, left + padding + width - 1, baseline + cap)
