"""Labels as ZPL II for Zebra thermal printers at 203 or 300 dpi, from the same layout as
the PDF (``label_layout``).

Code 128 is ``^BC`` in automatic mode, Data Matrix ``^BX`` with quality 200 (ECC 200).
Every field's data goes through ``^FH`` hexadecimal escapes: the ISBT 128 characters
``=``, ``&``, ``<`` and ``>``, ZPL's own ``^`` ``~`` and ``_``, and every byte of a
character outside plain ASCII letters and digits, so no text a user typed can ever be
read by the printer as a command. ``^CI28`` makes the escaped bytes UTF-8.
"""

from __future__ import annotations

from collections.abc import Iterable

from labtrack.identity.label_layout import Bars, Layout, Line, Matrix, cap_height
from labtrack.identity.label_text import SUPERSCRIPT_RISE, SUPERSCRIPT_SCALE, runs, width_of

RESOLUTIONS = (203, 300)
POINT_MM = 25.4 / 72
HEX_INDICATOR = "_"
_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;()/-+*'")


def dots(millimetres: float, dpi: int) -> int:
    return round(millimetres * dpi / 25.4)


def module_dots(millimetres: float, dpi: int) -> int:
    """A barcode module in whole printer dots, never under 2 (one dot is not readable)."""
    return max(2, dots(millimetres, dpi))


def field_hex(text: str) -> str:
    """``text`` for a ``^FH_`` field: plain characters as they are, every other byte _XX."""
    return "".join(char if char in _PLAIN else
                   "".join(f"{HEX_INDICATOR}{byte:02X}" for byte in char.encode("utf-8"))
                   for char in text)


def unhex(data: str) -> str:
    """The text a ``^FH_`` field holds (the inverse of :func:`field_hex`)."""
    raw, index = bytearray(), 0
    while index < len(data):
        if data[index] == HEX_INDICATOR:
            raw.append(int(data[index + 1:index + 3], 16))
            index += 3
        else:
            raw.extend(data[index].encode("utf-8"))
            index += 1
    return raw.decode("utf-8")


def label_zpl(layouts: Iterable[Layout], dpi: int) -> str:
    """One ``^XA … ^XZ`` format per label, in order."""
    if dpi not in RESOLUTIONS:
        raise ValueError(f"Labels print at {' or '.join(map(str, RESOLUTIONS))} dpi.")
    return "\n".join(_format(layout, dpi) for layout in layouts) + "\n"


def _format(layout: Layout, dpi: int) -> str:
    commands = ["^XA", "^CI28", f"^PW{dots(layout.stock.width, dpi)}",
                f"^LL{dots(layout.stock.height, dpi)}", "^LH0,0"]
    for item in layout.items:
        if isinstance(item, Bars):
            commands.append(_bars(item, dpi))
        elif isinstance(item, Matrix):
            commands.append(_matrix(item, dpi))
        else:
            commands.extend(_line(item, dpi))
    commands.append("^PQ1")
    commands.append("^XZ")
    return "\n".join(commands)


def _bars(bars: Bars, dpi: int) -> str:
    return (f"^FO{dots(bars.x, dpi)},{dots(bars.y, dpi)}"
            f"^BY{module_dots(bars.module, dpi)},3,{dots(bars.height, dpi)}"
            f"^BCN,{dots(bars.height, dpi)},N,N,N,A^FH{HEX_INDICATOR}^FD{field_hex(bars.data)}^FS")


def _matrix(matrix: Matrix, dpi: int) -> str:
    return (f"^FO{dots(matrix.x, dpi)},{dots(matrix.y, dpi)}"
            f"^BXN,{module_dots(matrix.module, dpi)},200"
            f"^FH{HEX_INDICATOR}^FD{field_hex(matrix.data)}^FS")


def _text_field(text: str, x: float, top: float, size: float, room: float, justify: str,
                dpi: int) -> str:
    height = max(dots(size * POINT_MM, dpi), 8)
    return (f"^FO{dots(x, dpi)},{dots(top, dpi)}^A0N,{height},{height}"
            f"^FB{max(dots(room, dpi), 1)},1,0,{justify}"
            f"^FH{HEX_INDICATOR}^FD{field_hex(text)}^FS")


def _line(line: Line, dpi: int) -> list[str]:
    """A text line; a superscript (the 6 of 10⁶) as its own small raised field."""
    width = width_of(line.text, line.font, line.size) * POINT_MM
    left = line.x - width / 2 if line.centred else line.x
    top = line.baseline - cap_height(line.font, line.size)
    if line.boxed:
        return _boxed(line, left, top, dpi)
    parts = runs(line.text)
    if len(parts) == 1:
        if line.centred:
            return [_text_field(line.text, line.x - line.room / 2, top, line.size, line.room,
                                "C", dpi)]
        return [_text_field(line.text, left, top, line.size, line.room, "L", dpi)]
    fields, cursor = [], left
    for index, run in enumerate(parts):
        size = line.size * (SUPERSCRIPT_SCALE if run.superscript else 1)
        run_width = width_of(run.text, line.font, size) * POINT_MM
        rise = line.size * SUPERSCRIPT_RISE * POINT_MM if run.superscript else 0
        # The first run ends exactly where the next begins, whatever the printer's font.
        justify, room = ("R", run_width) if index == 0 else ("L", line.x + line.room - cursor)
        run_top = top + cap_height(line.font, line.size) - cap_height(line.font, size) - rise
        fields.append(_text_field(run.text, cursor, run_top, size, max(room, run_width),
                                  justify, dpi))
        cursor += run_width
    return fields


def _boxed(line: Line, left: float, top: float, dpi: int) -> list[str]:
    width = width_of(line.text, line.font, line.size) * POINT_MM
    box_width, box_height = width + 0.6, cap_height(line.font, line.size) + 1.0
    return [f"^FO{dots(left, dpi)},{dots(top - 0.5, dpi)}"
            f"^GB{dots(box_width, dpi)},{dots(box_height, dpi)},2^FS",
            _text_field(line.text, left + 0.3, top, line.size, width + 0.3, "C", dpi)]
