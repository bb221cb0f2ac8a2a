"""Where everything on a label goes, in millimetres from its top-left corner.

One layout, two printers: ``label_pdf`` draws it on a PDF page, ``label_zpl`` writes it as
ZPL II for a thermal printer. Two kinds of label:

- **sample labels** (the bone-marrow tube, each culture flask) on the small stock,
  50 × 25 mm by default: the DIN as Code 128 and Data Matrix, and who it belongs to;
- **dose labels**, one per disc level, on the dose stock (76 × 51 mm by default; three
  ISBT 128 linear symbols at the 0.25 mm module ST-001 asks for, the Data Matrix and the
  text a clinician checks cannot fit on 50 × 25 mm): the DIN, the dose's product code and
  its expiry as Code 128, all three in one Data Matrix compound message, the disc level in
  large type, the patient, cells, volume and storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfbase.pdfmetrics import getAscentDescent, getFont

from labtrack.identity.datamatrix import datamatrix_modules
from labtrack.identity.label_text import (
    BOLD,
    REGULAR,
    cut,
    points,
    printable,
    shrunk,
    width_of,
    wrapped,
)
from labtrack.identity.rules.isbt128 import Din, product_code_data
from labtrack.identity.rules.scans import compound_message

AUTOLOGOUS_WARNING = "FOR AUTOLOGOUS USE ONLY"  # in English; labels print words() translated
REPRINT = "REPRINT"
CODE128_MODULE = 0.25  # mm: ISBT 128 ST-001's target X dimension
CODE128_QUIET_MODULES = 10
LINE_SHRINK = 0.1  # a line may be drawn up to 10 % smaller to fit before it is cut


@dataclass(frozen=True)
class Stock:
    """A label stock's size in millimetres."""

    width: float
    height: float

    @classmethod
    def parse(cls, text: str) -> Stock:
        """``"50x25"`` (width × height in mm)."""
        width, height = (float(part) for part in text.lower().replace("×", "x").split("x"))
        if not (10 <= width <= 200 and 10 <= height <= 200):
            raise ValueError(f"Label stock {text!r} is not a size in millimetres, e.g. 50x25.")
        return cls(width, height)


SAMPLE_STOCK = Stock(50, 25)
DOSE_STOCK = Stock(76, 51)


@dataclass(frozen=True)
class Bars:
    """A Code 128 symbol: bars from ``x`` (its quiet zone lies left and right of it)."""

    data: str
    x: float
    y: float
    height: float
    module: float = CODE128_MODULE

    @property
    def quiet(self) -> float:
        return CODE128_QUIET_MODULES * self.module

    @property
    def modules(self) -> int:
        """The symbol's width in modules, quiet zones not included."""
        return round(Code128(self.data, barWidth=1, quiet=0).width)


@dataclass(frozen=True)
class Matrix:
    """An ECC 200 Data Matrix with its top-left corner at (x, y)."""

    data: str
    x: float
    y: float
    module: float

    @property
    def side(self) -> float:
        return len(datamatrix_modules(self.data)) * self.module


@dataclass(frozen=True)
class Line:
    """One line of text, already fitted: ``room`` is the width it may use from ``x`` (or
    around its centre when centred); ``boxed`` draws it in a box (the check character)."""

    text: str
    x: float
    baseline: float
    size: float  # points
    font: str = REGULAR
    room: float = 0.0
    centred: bool = False
    boxed: bool = False


@dataclass(frozen=True)
class Layout:
    stock: Stock
    items: tuple = field(default_factory=tuple)

    def overflows(self) -> list[str]:
        """What does not fit on the stock (empty when everything does), in mm."""
        problems = []
        for item in self.items:
            left, top, right, bottom = extent(item)
            if left < 0 or top < 0 or right > self.stock.width or bottom > self.stock.height:
                name = getattr(item, "data", None) or item.text
                problems.append(f"{type(item).__name__} {name!r} spans {left:.1f}-{right:.1f}"
                                f" × {top:.1f}-{bottom:.1f} mm")
        return problems


def extent(item) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) in mm of a layout item, a Code 128's quiet zones included."""
    if isinstance(item, Bars):
        width = item.modules * item.module
        return item.x - item.quiet, item.y, item.x + width + item.quiet, item.y + item.height
    if isinstance(item, Matrix):
        return item.x, item.y, item.x + item.side, item.y + item.side
    width = width_of(item.text, item.font, item.size) / points(1)
    left = item.x - width / 2 if item.centred else item.x
    descent = 0.25 * item.size / points(1)  # Helvetica's descent: about a quarter em
    return (left, item.baseline - cap_height(item.font, item.size), left + width,
            item.baseline + descent)


@dataclass(frozen=True)
class LabelData:
    """What a sample label (tube or flask) shows; every text is printed as given."""

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
    reprint: bool = False


@dataclass(frozen=True)
class DoseLabelData:
    """What a dose label shows and encodes."""

    din: Din
    product_code: str  # the dose's own, with its division (S12341A0, S12341B0, …)
    expiry_data: str  # data structure 005, &>cyyjjjhhmm, in the lab's time
    expiry: str  # e.g. "2026-12-09 14:00 CET"
    disc_level: str
    description: str
    patient_identifier: str
    cells: str  # e.g. "20.0 × 10⁶ viable cells in 2.0 mL"
    storage: str
    batch_number: str
    lab_name: str
    reprint: bool = False

    @property
    def compound(self) -> str:
        return compound_message(self.din.barcode_data, product_code_data(self.product_code),
                                self.expiry_data)


def cap_height(font: str, size: float) -> float:
    """In mm: the height of a capital letter (a built-in font's ascent is its cap height)."""
    face = getFont(font).face
    height = getattr(face, "capHeight", None) or getAscentDescent(font, 1000)[0]
    return height * size / 1000 / points(1)


def text_line(text: str, x: float, baseline: float, size: float, font: str, room: float,
              centred: bool = False) -> Line:
    """A line shrunk up to a tenth to fit ``room`` mm, then cut with an ellipsis."""
    line = printable(text)
    fitted = shrunk(line, font, size, points(room), size * (1 - LINE_SHRINK))
    return Line(cut(line, font, fitted, points(room)), x, baseline, fitted, font, room, centred)


def din_lines(din: Din, x: float, baseline: float, size: float) -> list[Line]:
    """The grouped DIN and, after it, its check character in a box (ST-001 §7.5.1.1)."""
    grouped = Line(din.grouped, x, baseline, size, BOLD, 40)
    box_x = x + width_of(din.grouped, BOLD, size) / points(1) + 1.2
    return [grouped, Line(din.check_character, box_x, baseline, size, "Courier-Bold", 3,
                          boxed=True)]


def stacked(entries, x: float, top: float, room: float, leading: float = 1.1) -> list[Line]:
    """Lines one under another from ``top``: entries are (text, font, size), or
    (text, font, size, lines) for text that may wrap into that many lines, never cut."""
    placed, cursor = [], top
    for entry in entries:
        text, font, size = entry[:3]
        one_line = width_of(printable(text), font, size * (1 - LINE_SHRINK)) <= points(room)
        if len(entry) == 4 and not one_line:  # a line shrunk a little rather than two
            broken, fitted = wrapped(printable(text), font, size, points(room), entry[3],
                                     size * 0.6)
            for part in broken:
                cursor += fitted * leading / points(1)
                placed.append(Line(part, x, cursor, fitted, font, room))
            continue
        cursor += size * leading / points(1)
        placed.append(text_line(text, x, cursor, size, font, room))
    return placed


def _joined(*parts: str | None) -> str:
    return " · ".join(part for part in parts if part)


def sample_layout(label: LabelData, stock: Stock = SAMPLE_STOCK) -> Layout:
    """The tube or flask label: DIN bars across the top, its Data Matrix at the right."""
    edge, bars_x, bars_height, module = 1.2, 3.0, 5.5, 0.6
    column = 16 * module  # the DIN's Data Matrix is always 16 × 16
    data = label.din.barcode_data
    din_baseline = edge + bars_height + 0.8 + cap_height(BOLD, 9)
    matrix = Matrix(data, stock.width - edge - column, edge + bars_height + 0.8, module)
    lines = [(label.title, BOLD, 6), (label.patient_identifier, BOLD, 6),
             (_("FOR AUTOLOGOUS USE ONLY"), BOLD, 5.5),
             (_joined(_("Batch %(number)s", number=label.batch_number), label.lab_name),
              REGULAR, 5)]
    keeping = _joined(label.expiry and _("Exp %(expiry)s", expiry=label.expiry), label.storage)
    details = _joined(label.product_code and _("Prod code %(code)s", code=label.product_code),
                      label.cells)
    lines += [(text, font, 5) for text, font in ((keeping, BOLD), (details, REGULAR)) if text]
    text_left = 1.5
    room = matrix.x - 0.8 - text_left
    corner = label.disc_level or (_("REPRINT") if label.reprint else None)
    items = [Bars(data, bars_x, edge, bars_height),
             *din_lines(label.din, bars_x, din_baseline, 9), matrix,
             *stacked(lines, text_left, din_baseline + 1.0, room)]
    if corner:
        items.append(_centred_word(corner, matrix.x + column / 2, stock.height - edge - 1.5,
                                   column, 9.0, 5.0))
    return Layout(stock, tuple(items))


def _centred_word(text: str, centre: float, baseline: float, room: float, size: float,
                  smallest: float) -> Line:
    """A word in bold, centred, shrunk to fit its room down to ``smallest``, then cut."""
    line = printable(text)
    size = shrunk(line, BOLD, size, points(room), smallest)
    return Line(cut(line, BOLD, size, points(room)), centre, baseline, size, BOLD, room,
                centred=True)


def dose_layout(label: DoseLabelData, stock: Stock = DOSE_STOCK) -> Layout:
    """The dose label: three ISBT 128 linear symbols down the left, the compound Data
    Matrix and the disc level at the right, then what the clinician reads."""
    bars_x, margin = 3.0, 2.0
    din, code, expiry = (label.din.barcode_data, product_code_data(label.product_code),
                         label.expiry_data)
    matrix = Matrix(label.compound, 0, margin, 0.5)
    matrix = Matrix(label.compound, stock.width - margin - matrix.side, margin, 0.5)
    din_baseline = margin + 6.5 + 0.8 + cap_height(BOLD, 9)
    right = 44.0  # where the right-hand column starts, clear of the bars' quiet zone
    column = stock.width - margin - right
    items = [
        Bars(din, bars_x, margin, 6.5), *din_lines(label.din, bars_x, din_baseline, 9),
        Bars(code, bars_x, 13.2, 5.0),
        text_line(f"{label.product_code[:5]} {label.product_code[5]} "
                  f"{label.product_code[6:]}", bars_x, 20.6, 6.5, BOLD, 38),
        Bars(expiry, bars_x, 22.0, 5.0),
        text_line(_("EXP %(expiry)s", expiry=label.expiry), bars_x, 29.6, 7, BOLD, 38),
        matrix,
        text_line(_("Disc level"), right + column / 2, matrix.y + matrix.side + 2.6, 5.5,
                  REGULAR, column, centred=True),
        _centred_word(label.disc_level, right + column / 2, matrix.y + matrix.side + 8.6,
                      column, 18.0, 9.0),
    ]
    if label.reprint:
        items.append(_centred_word(_("REPRINT"), right + column / 2, 29.6, column, 9.0, 5.0))
    items += stacked([(label.description, BOLD, 6.5, 2), (label.patient_identifier, BOLD, 7.5),
                      (_("FOR AUTOLOGOUS USE ONLY"), BOLD, 7.5), (label.cells, REGULAR, 7),
                      (label.storage, BOLD, 6, 2),
                      (_joined(_("Batch %(number)s", number=label.batch_number),
                               label.lab_name), REGULAR, 5)],
                     2.5, 30.6, stock.width - 5.0, leading=1.12)
    return Layout(stock, tuple(items))

