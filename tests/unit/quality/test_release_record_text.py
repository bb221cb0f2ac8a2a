"""The release record breaks text into lines exactly as a ReportLab Paragraph would.

The record draws its several hundred cells as plain strings broken by
``record_text.lines_of`` (far cheaper than a Paragraph per cell); these tests pin that
breaking to ReportLab's own, so the layout cannot drift from what a Paragraph would give.
"""

from xml.sax.saxutils import escape

import pytest
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from labtrack.quality.record_pdf import record_text
from labtrack.quality.record_pdf.record_chart import register_fonts
from labtrack.quality.record_pdf.record_text import BASE, CELL, HEAD, lines_of

TEXTS = (
    "Viability",
    "QC Analyst, 2025-05-10 11:01 CEST (entered by Bench Technician 4)",
    "Incubator door <left> open & alarm silenced by   the night   shift\tduring cleaning",
    "Ficoll-Paque lot L0013 (Bench Supplies, exp. 2027-11-25); MEM alpha lot L0000 "
    "(Bench Supplies, exp. 2027-11-25); PBS lot L0014 (Bench Supplies, exp. 2027-11-25)",
    "9f2c4e0b7a1d3c5e8f6a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e",
    "hash 9f2c4e0b7a1d3c5e8f6a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e follows",
    "ÑÚÑEZ-O'BRIEN, José María · ≥ 70 % · ≤ 2 % · 37.0 °C · 5 µL",
    "no-break\xa0spaces\xa0stay\xa0together while other spaces break the line",
    "a thin\u2009space and a narrow\u202fno-break space",
    "   leading and trailing white space   ",
    "",
)


def paragraph_lines(value: str, kind, width: float) -> list[str]:
    style = ParagraphStyle("p", fontName=kind.font, fontSize=kind.size, leading=kind.leading)
    paragraph = Paragraph(escape(value), style)
    paragraph.wrap(width, 10_000)
    if paragraph.blPara.kind == 0:  # one fragment: lines of words
        return [" ".join(words) for _, words in paragraph.blPara.lines]
    # Several fragments (the text had an entity, such as &amp;): lines of fragments.
    return [" ".join("".join(frag.text for frag in line.words).split())
            for line in paragraph.blPara.lines]


@pytest.mark.parametrize("kind", [CELL, HEAD, BASE], ids=["cell", "head", "base"])
@pytest.mark.parametrize("width", [18, 40, 57.5, 90, 137.3, 250, 515])
def test_lines_break_where_a_paragraph_breaks_them(kind, width):
    register_fonts()
    for value in TEXTS:
        assert lines_of(value, kind, width) == paragraph_lines(value, kind, width), value


def test_line_breaks_are_kept_and_text_is_never_markup():
    register_fonts()
    assert lines_of("first line\nsecond   line\r\nthird", CELL, 300) == [
        "first line", "second line", "third"]
    assert lines_of("<b>not bold</b> &amp; <br/>", CELL, 300) == [
        "<b>not bold</b> &amp; <br/>"]
    assert lines_of(None, CELL, 300) == []


def test_superscripts_are_measured_smaller_and_never_lost():
    register_fonts()
    lines = lines_of("20 × 10⁶ ± 20 % (16 × 10⁶ to 24 × 10⁶)", CELL, 90)
    assert " ".join(lines) == "20 × 10⁶ ± 20 % (16 × 10⁶ to 24 × 10⁶)"
    assert record_text._runs("21.5 × 10⁶ cells") == [
        ("21.5 × 10", False), ("6", True), (" cells", False)]
