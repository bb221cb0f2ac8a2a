"""ISBT 128 labels (50 × 25 mm) for samples, flasks and doses, rendered to PDF bytes."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.ecc200datamatrix import ECC200DataMatrix
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth
from reportlab.pdfgen.canvas import Canvas

from labtrack import pdf  # noqa: F401  (ReportLab settings before any PDF is drawn)
from labtrack.identity.rules.isbt128 import Din

LABEL_WIDTH = 50 * mm
LABEL_HEIGHT = 25 * mm
LAYOUTS = ("single", "sheet")
AUTOLOGOUS_WARNING = "FOR AUTOLOGOUS USE ONLY"

# ISBT 128 ST-001 §6.1.3 and §6.2.3: Code 128 target X dimension 0.25 mm with quiet zones of
# 10 X and a height of at least 15 % of its length; Data Matrix X at least 0.25 mm.
CODE128_MODULE = 0.25 * mm
CODE128_QUIET = 10 * CODE128_MODULE
CODE128_HEIGHT = 5.5 * mm
DATAMATRIX_MODULE = 0.6 * mm
DATAMATRIX_SIDE = 16 * DATAMATRIX_MODULE  # DIN data always fits the 16 × 16 symbol
# Square ECC 200 symbols with one data region: (modules per side, data and error codewords).
DATAMATRIX_SIZES = ((10, 3, 5), (12, 5, 7), (14, 8, 10), (16, 12, 12), (18, 18, 14),
                    (20, 22, 18), (22, 30, 20), (24, 36, 24), (26, 44, 28))
DATAMATRIX_PAD = 129

EDGE = 1.2 * mm
BARS_LEFT = 3 * mm  # a little more than the quiet zone between the label's edge and the bars
TEXT_LEFT = 1.5 * mm
DATAMATRIX_LEFT = LABEL_WIDTH - EDGE - DATAMATRIX_SIDE
TEXT_WIDTH = DATAMATRIX_LEFT - 0.8 * mm - TEXT_LEFT
BARS_BOTTOM = LABEL_HEIGHT - EDGE - CODE128_HEIGHT

REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
CHECK_FONT = "Courier-Bold"  # its 1 and I differ; its 0 is also slashed (ST-001 §7.5.1.1)
DIN_SIZE = 9
MIN_SIZE = 5
MAX_TEXT_CHARS = 200
ELLIPSIS = "…"
LINE_SHRINK = 0.1  # a text line may be drawn up to 10 % smaller to fit before it is cut
SUPERSCRIPTS = str.maketrans({"⁰": "^0", "⁴": "^4", "⁵": "^5", "⁶": "^6", "⁷": "^7",
                              "⁸": "^8", "⁹": "^9"})

SHEET_MARGIN = 10 * mm
SHEET_GUTTER_X = 5 * mm
SHEET_GUTTER_Y = 2.5 * mm


@dataclass(frozen=True)
class LabelData:
    """What one label shows; every text is printed as given, never interpreted."""

    din: Din
    title: str
    patient_identifier: str
    batch_number: str
    lab_name: str
    product_code: str | None = None
    disc_level: str | None = None
    cells: str | None = None
    expiry: str | None = None
    storage: str | None = None


def label_pdf(labels: Iterable[LabelData], layout: str = "single",
              title: str = "LabTrack labels") -> bytes:
    """PDF with one 50 × 25 mm page per label ("single") or labels on A4 sheets ("sheet")."""
    labels = list(labels)
    if layout not in LAYOUTS:
        raise ValueError(f"Unknown label layout {layout!r}; use one of {', '.join(LAYOUTS)}.")
    if not labels:
        raise ValueError("There are no labels to print.")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("LabTrack")
    canvas.setSubject("ISBT 128 labels: " + ", ".join(label.din.text for label in labels))
    if layout == "single":
        _draw_single_pages(canvas, labels)
    else:
        _draw_sheets(canvas, labels)
    canvas.save()
    return buffer.getvalue()


def sheet_slots() -> list[tuple[float, float]]:
    """Bottom-left corners (points) of the label cells on one A4 sheet, row by row."""
    page_width, page_height = A4
    columns = int((page_width - 2 * SHEET_MARGIN + SHEET_GUTTER_X)
                  // (LABEL_WIDTH + SHEET_GUTTER_X))
    rows = int((page_height - 2 * SHEET_MARGIN + SHEET_GUTTER_Y)
               // (LABEL_HEIGHT + SHEET_GUTTER_Y))
    grid_width = columns * LABEL_WIDTH + (columns - 1) * SHEET_GUTTER_X
    grid_height = rows * LABEL_HEIGHT + (rows - 1) * SHEET_GUTTER_Y
    left = (page_width - grid_width) / 2
    top = (page_height + grid_height) / 2
    return [(left + column * (LABEL_WIDTH + SHEET_GUTTER_X),
             top - (row + 1) * LABEL_HEIGHT - row * SHEET_GUTTER_Y)
            for row in range(rows) for column in range(columns)]


def draw_label(canvas: Canvas, label: LabelData, x: float = 0, y: float = 0) -> None:
    """Draw one label with its bottom-left corner at (x, y)."""
    canvas.saveState()
    canvas.translate(x, y)
    _draw_code128(canvas, label.din.barcode_data)
    din_baseline = _draw_din_text(canvas, label.din)
    _draw_datamatrix(canvas, label.din.barcode_data)
    _draw_text_lines(canvas, _text_lines(label), din_baseline - 1.0 * mm)
    if label.disc_level:
        _draw_disc_level(canvas, label.disc_level)
    canvas.restoreState()


def _draw_single_pages(canvas: Canvas, labels: list[LabelData]) -> None:
    for label in labels:
        canvas.setPageSize((LABEL_WIDTH, LABEL_HEIGHT))
        draw_label(canvas, label)
        canvas.showPage()


def _draw_sheets(canvas: Canvas, labels: list[LabelData]) -> None:
    slots = sheet_slots()
    for start in range(0, len(labels), len(slots)):
        canvas.setPageSize(A4)
        for label, (x, y) in zip(labels[start:start + len(slots)], slots, strict=False):
            _draw_cut_guide(canvas, x, y)
            draw_label(canvas, label, x, y)
        canvas.showPage()


def _draw_cut_guide(canvas: Canvas, x: float, y: float) -> None:
    canvas.saveState()
    canvas.setStrokeGray(0.75)
    canvas.setLineWidth(0.25)
    canvas.rect(x, y, LABEL_WIDTH, LABEL_HEIGHT, stroke=1, fill=0)
    canvas.restoreState()


def _draw_code128(canvas: Canvas, data: str) -> None:
    symbol = Code128(data, barWidth=CODE128_MODULE, barHeight=CODE128_HEIGHT,
                     quiet=1, lquiet=CODE128_QUIET, rquiet=CODE128_QUIET)
    symbol.drawOn(canvas, BARS_LEFT - CODE128_QUIET, BARS_BOTTOM)


def _draw_datamatrix(canvas: Canvas, data: str) -> None:
    modules = datamatrix_modules(data)
    side = len(modules) * DATAMATRIX_MODULE
    left = LABEL_WIDTH - EDGE - side
    top = BARS_BOTTOM - 0.8 * mm
    for row_index, row in enumerate(modules):
        y = top - (row_index + 1) * DATAMATRIX_MODULE
        for column_index, dark in enumerate(row):
            if dark:
                canvas.rect(left + column_index * DATAMATRIX_MODULE, y,
                            DATAMATRIX_MODULE, DATAMATRIX_MODULE, stroke=0, fill=1)


def _draw_din_text(canvas: Canvas, din: Din) -> float:
    """The grouped DIN beneath its bar code, the check character boxed; returns the baseline."""
    baseline = BARS_BOTTOM - 0.8 * mm - _cap_height(BOLD, DIN_SIZE)
    canvas.setFont(BOLD, DIN_SIZE)
    canvas.drawString(BARS_LEFT, baseline, din.grouped)
    box_left = BARS_LEFT + stringWidth(din.grouped, BOLD, DIN_SIZE) + 1.2 * mm
    _draw_boxed_check_character(canvas, din.check_character, box_left, baseline)
    return baseline


def _draw_boxed_check_character(canvas: Canvas, char: str, left: float, baseline: float) -> None:
    padding = 0.8
    width = stringWidth(char, CHECK_FONT, DIN_SIZE)
    cap = _cap_height(CHECK_FONT, DIN_SIZE)
    canvas.setFont(CHECK_FONT, DIN_SIZE)
    canvas.drawString(left + padding, baseline, char)
    canvas.setLineWidth(0.5)
    canvas.rect(left, baseline - 1.5, width + 2 * padding, cap + 3, stroke=1, fill=0)
    if char == "0":  # a slashed zero, so the check character cannot be read as the letter O
        canvas.line(left + padding + 1, baseline - 0.5, left + padding + width - 1, baseline + cap)


def _text_lines(label: LabelData) -> list[tuple[str, str, float]]:
    """(text, font, size) for each line under the DIN, most important first."""
    lines = [
        (label.title, BOLD, 6),
        (label.patient_identifier, BOLD, 6),
        (AUTOLOGOUS_WARNING, BOLD, 5.5),
        (_joined(f"Batch {label.batch_number}", label.lab_name), REGULAR, 5),
    ]
    keeping = _joined(label.expiry and f"Exp {label.expiry}", label.storage)
    if keeping:
        lines.append((keeping, BOLD, 5))
    details = _joined(label.product_code and f"Prod code {label.product_code}", label.cells)
    if details:
        lines.append((details, REGULAR, 5))
    return lines


def _draw_text_lines(canvas: Canvas, lines: list[tuple[str, str, float]], top: float) -> None:
    cursor = top
    for text, font, size in lines:
        cursor -= size * 1.1
        fitted = _fitting_size(text, font, size, TEXT_WIDTH)
        canvas.setFont(font, fitted)
        canvas.drawString(TEXT_LEFT, cursor, _fit(text, font, fitted, TEXT_WIDTH))


def _fitting_size(text: str, font: str, size: float, width: float) -> float:
    """``size``, or up to a tenth smaller where that makes the whole line fit.

    The expiry line is a hair too wide whenever the zone's name is long (CEST, all
    summer), and an ellipsis there would cut off the storage instruction.
    """
    line, smallest = _printable(text), size * (1 - LINE_SHRINK)
    while size > smallest and stringWidth(line, font, size) > width:
        size = round(size - 0.05, 2)
    return size


def _draw_disc_level(canvas: Canvas, disc_level: str) -> None:
    text = _printable(disc_level)
    size = 9.0
    while size > MIN_SIZE and stringWidth(text, BOLD, size) > DATAMATRIX_SIDE:
        size -= 0.5
    text = _fit(text, BOLD, size, DATAMATRIX_SIDE)
    canvas.setFont(BOLD, size)
    canvas.drawCentredString(DATAMATRIX_LEFT + DATAMATRIX_SIDE / 2, EDGE + 1.5 * mm, text)


def _joined(*parts: str | None) -> str:
    return " · ".join(part for part in parts if part)


def _printable(text: str) -> str:
    """One line of text the built-in fonts can show: unknown characters become '?'."""
    line = " ".join(str(text)[:MAX_TEXT_CHARS].split()).translate(SUPERSCRIPTS)
    return line.encode("cp1252", errors="replace").decode("cp1252")


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` made printable, cut with an ellipsis where it would overflow ``width``."""
    line = _printable(text)
    if stringWidth(line, font, size) <= width:
        return line
    while line and stringWidth(line + ELLIPSIS, font, size) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def _cap_height(font: str, size: float) -> float:
    return getAscentDescent(font, size)[0]  # the built-in fonts' ascent is their cap height


def datamatrix_codewords(data: str) -> list[int]:
    """ECC 200 ASCII-mode data codewords: digit pairs as 130 + value, other ASCII as code + 1."""
    codewords, index = [], 0
    while index < len(data):
        pair = data[index:index + 2]
        if len(pair) == 2 and pair.isascii() and pair.isdigit():
            codewords.append(130 + int(pair))
            index += 2
        elif data[index].isascii():
            codewords.append(ord(data[index]) + 1)
            index += 1
        else:
            raise ValueError("Only ASCII text can go in a label's Data Matrix.")
    return codewords


def datamatrix_modules(data: str) -> list[list[int]]:
    """The ECC 200 Data Matrix of ``data`` as rows of modules (1 = dark), top row first."""
    symbol = _AsciiDataMatrix(data)
    symbol.validate()
    return list(reversed(symbol.encode()))


class _AsciiDataMatrix(ECC200DataMatrix):
    """ReportLab's ECC 200 error correction and module placement, fed ASCII-mode codewords.

    ReportLab's own C40 encoder maps '=' (and :;<>?@) to the wrong values and pads with a NUL,
    and it only makes the 44 × 44 symbol; this picks the smallest single-region square.
    """

    def __init__(self, value: str):
        super().__init__(value)
        self.codewords = datamatrix_codewords(value)
        fitting = [size for size in DATAMATRIX_SIZES if size[1] >= len(self.codewords)]
        if not fitting:
            raise ValueError("Too much data for a single-region Data Matrix.")
        modules, self.cw_data, self.cw_ecc = fitting[0]
        self.row_modules = self.col_modules = modules
        self.row_regions = self.col_regions = 1
        self.row_usable_modules = self.col_usable_modules = modules - 2

    def _encode_c40(self, value: str) -> list[int]:  # the hook ReportLab's encode() calls
        return _padded(self.codewords, self.cw_data)


def _padded(codewords: list[int], capacity: int) -> list[int]:
    """Fill unused data capacity: 129, then the 253-state randomised pad (ISO/IEC 16022)."""
    padded = list(codewords)
    if len(padded) < capacity:
        padded.append(DATAMATRIX_PAD)
    while len(padded) < capacity:
        pad = DATAMATRIX_PAD + (149 * (len(padded) + 1)) % 253 + 1
        padded.append(pad if pad <= 254 else pad - 254)
    return padded
