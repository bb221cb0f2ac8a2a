"""The release record breaks text into lines with ReportLab's own line breaking.

Cells are broken by ReportLab's ``simpleSplit`` (between words only); a word wider than
its whole column goes through a ReportLab ``Paragraph``, which breaks it at its hyphens
first. The text is never read as markup.
"""

import pytest
from reportlab.lib.utils import simpleSplit

from labtrack.quality.record_pdf import record_text
from labtrack.quality.record_pdf.record_chart import register_fonts
from labtrack.quality.record_pdf.record_text import BASE, CELL, HEAD, column_widths, lines_of

TEXTS = (
    "Viability",
    "QC Analyst, 2025-05-10 11:01 CEST (entered by Bench Technician 4)",
    "Incubator door <left> open & alarm silenced by   the night   shift\tduring cleaning",
    "Ficoll-Paque lot L0013 (Bench Supplies, exp. 2027-11-25); MEM alpha lot L0000 "
    "(Bench Supplies, exp. 2027-11-25); PBS lot L0014 (Bench Supplies, exp. 2027-11-25)",
    "Deviation DEV26-0002 on dose MSC26-0009-L4L5 of batch MSC26-0009, DIN A9999 26 000123",
    "ÑÚÑEZ-O'BRIEN, José María · ≥ 70 % · ≤ 2 % · 37.0 °C · 5 µL",
    "   leading and trailing white space   ",
    "",
)


@pytest.mark.parametrize("kind", [CELL, HEAD, BASE], ids=["cell", "head", "base"])
@pytest.mark.parametrize("width", [90, 137.3, 250, 515])
def test_lines_are_reportlabs_own_when_every_word_fits(kind, width):
    register_fonts()
    for value in TEXTS:
        expected = simpleSplit(" ".join(value.split()), kind.font, kind.size, width)
        assert lines_of(value, kind, width) == expected, value


@pytest.mark.parametrize("width", [90, 120, 200])
def test_identifiers_are_never_split(width):
    register_fonts()
    text = TEXTS[4]
    lines = lines_of(text, CELL, width)
    assert " ".join(lines) == " ".join(text.split())  # breaks only between words
    for identifier in ("DEV26-0002", "MSC26-0009-L4L5", "MSC26-0009,", "A9999"):
        assert any(identifier in line for line in lines), (identifier, lines)


def test_a_word_wider_than_its_column_breaks_at_its_hyphens_first():
    register_fonts()
    lines = lines_of("contamination-free-out-of-specification-material", CELL, 70)
    assert all(line.endswith("-") for line in lines[:-1]) and len(lines) > 1
    assert "".join(lines) == "contamination-free-out-of-specification-material"
    long = "9f2c4e0b7a1d3c5e8f6a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e"
    pieces = lines_of(long, CELL, 100)  # no hyphen: cut where the line is full
    assert "".join(pieces) == long and len(pieces) > 1
    assert all(record_text._width(piece, CELL) <= 100 for piece in pieces)


def test_columns_are_as_wide_as_their_longest_word():
    register_fonts()
    rows = [["Number", "What happened"], ["DEV26-0002", "Door left ajar"]]
    widths = column_widths(rows, (0.2, 3), 400)
    assert widths[0] >= record_text._width("DEV26-0002", CELL) + 2 * record_text.PADDING
    assert sum(widths) == pytest.approx(400)


def test_line_breaks_are_kept_and_text_is_never_markup():
    register_fonts()
    assert lines_of("first line\nsecond   line\r\nthird", CELL, 300) == [
        "first line", "second line", "third"]
    assert lines_of("<b>not bold</b> &amp; <br/>", CELL, 300) == [
        "<b>not bold</b> &amp; <br/>"]
    # a word too long for its column goes through a Paragraph: still literal text
    assert "".join(lines_of("<b>not-bold-at-all-here</b> &amp;", CELL, 40)).replace(
        " ", "") == "<b>not-bold-at-all-here</b>&amp;"
    assert lines_of(None, CELL, 300) == []


def test_superscripts_are_never_lost():
    register_fonts()
    lines = lines_of("20 × 10⁶ ± 20 % (16 × 10⁶ to 24 × 10⁶)", CELL, 90)
    assert " ".join(lines) == "20 × 10⁶ ± 20 % (16 × 10⁶ to 24 × 10⁶)"
    assert record_text._runs("21.5 × 10⁶ cells") == [
        ("21.5 × 10", False), ("6", True), (" cells", False)]
