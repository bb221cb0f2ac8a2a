"""ECC 200 Data Matrix symbols in ASCII mode, for labels printed as PDF and checked as ZPL."""

from __future__ import annotations

from reportlab.graphics.barcode.ecc200datamatrix import ECC200DataMatrix

# Square ECC 200 symbols with one data region: (modules per side, data and error codewords).
DATAMATRIX_SIZES = ((10, 3, 5), (12, 5, 7), (14, 8, 10), (16, 12, 12), (18, 18, 14),
                    (20, 22, 18), (22, 30, 20), (24, 36, 24), (26, 44, 28))
DATAMATRIX_PAD = 129


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
