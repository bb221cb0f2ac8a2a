"""ReportLab settings and fonts shared by every PDF LabTrack writes (labels, release records).

Import this module before drawing a PDF: ``from labtrack import pdf  # noqa: F401``.
Every PDF embeds DejaVu Sans (``labtrack/fonts/``, shipped in the package): Unicode
TrueType fonts, so Greek letters, subscripts and Spanish text print as real glyphs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# Page streams are written compressed and binary, not also ASCII85-encoded: ReportLab's
# encoder is pure Python (a large share of a release record's rendering time) and the
# encoding only makes the file a quarter larger. Any PDF reader reads both.
rl_config.useA85 = 0

FONT_DIR = Path(__file__).resolve().parent / "fonts"
SANS, SANS_BOLD = "DejaVuSans", "DejaVuSans-Bold"
SANS_ITALIC, SANS_BOLD_ITALIC = "DejaVuSans-Oblique", "DejaVuSans-BoldOblique"
# Labels: the condensed cut, close to Helvetica's widths, so label layouts keep fitting.
CONDENSED, CONDENSED_BOLD = "DejaVuSansCondensed", "DejaVuSansCondensed-Bold"
FONTS = (SANS, SANS_BOLD, SANS_ITALIC, SANS_BOLD_ITALIC, CONDENSED, CONDENSED_BOLD)


def register_fonts() -> None:
    """Register the embedded fonts once (the family mapped for Paragraph's <b> and <i>)."""
    if CONDENSED_BOLD in pdfmetrics.getRegisteredFontNames():
        return
    for name in FONTS:
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))
    for bold, italic, name in ((0, 0, SANS), (1, 0, SANS_BOLD), (0, 1, SANS_ITALIC),
                               (1, 1, SANS_BOLD_ITALIC)):
        addMapping(SANS, bold, italic, name)


@cache
def glyph_map(font: str = SANS) -> frozenset[int]:
    """The code points the embedded font draws (its cmap): anything else would print as □."""
    register_fonts()
    return frozenset(pdfmetrics.getFont(font).face.charToGlyph)


def missing_glyphs(text: str, font: str = SANS) -> set[str]:
    """The characters of ``text`` (whitespace aside) the font has no glyph for."""
    drawn = glyph_map(font)
    return {char for char in text if not char.isspace() and ord(char) not in drawn}


register_fonts()
# A canvas starts in this font (ReportLab's default is Helvetica, which would then be
# named in every page though nothing is drawn with it).
rl_config.canvas_basefontname = SANS
