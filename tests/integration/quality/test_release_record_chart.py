"""The growth chart as drawn in the release record: read back from the PDF's drawing."""

import io
import math

from pypdf import PdfReader
from pypdf.generic import ContentStream
from sqlalchemy import select

from labtrack.culture.models import CellCount, CultureStep
from labtrack.extensions import db
from tests import builders

DECADES = {"1 M": 6, "10 M": 7, "100 M": 8, "1 G": 9, "100 k": 5}


def _multiply(a, b):
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def _chart_page(reader: PdfReader):
    return next(page for page in reader.pages if "Viable cells (log scale)" in page.extract_text())


def _decade_heights(page) -> dict[int, float]:
    """The page height of each decade's grid line (its label is drawn 2.5 pt below it)."""
    found = {}

    def visit(text, cm, tm, font, size):
        if text.strip() in DECADES:
            found[DECADES[text.strip()]] = _multiply(tm, cm)[5] + 2.5

    page.extract_text(visitor_text=visit)
    return found


def _marker_centres(page, reader) -> list[tuple[float, float]]:
    """The centres (x, y) of the chart's markers (each a filled and stroked circle, which
    ReportLab starts at its rightmost point, 2 pt from its centre)."""
    ctm, stack, starts, centres = [1, 0, 0, 1, 0, 0], [], [], []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"q":
            stack.append(ctm)
        elif operator == b"Q":
            ctm = stack.pop()
        elif operator == b"cm":
            ctm = _multiply([float(x) for x in operands], ctm)
        elif operator == b"m":
            x, y = (float(v) for v in operands)
            starts.append((x * ctm[0] + y * ctm[2] + ctm[4], x * ctm[1] + y * ctm[3] + ctm[5]))
        elif operator in (b"B", b"B*"):
            centres += [(x - 2, y) for x, y in starts]
            starts = []
        elif operator in (b"S", b"f", b"f*", b"n", b"W", b"W*"):
            starts = []
    return centres


def test_the_charts_first_point_is_the_first_culture_count_not_the_cells_seeded(app):
    batch = builders.releasable_batch()
    reader = PdfReader(io.BytesIO(builders.release(batch).record_pdf))
    page = _chart_page(reader)
    heights = _decade_heights(page)
    low, high = min(heights), max(heights)
    per_decade = (heights[high] - heights[low]) / (high - low)
    _, first_y = min(_marker_centres(page, reader))  # the earliest: leftmost
    drawn = 10 ** (low + (first_y - heights[low]) / per_decade)

    first = min(db.session.scalars(select(CellCount).where(CellCount.batch_id == batch.id)),
                key=lambda count: count.counted_at)
    assert math.isclose(drawn, first.viable_cells, rel_tol=0.02), (drawn, first.viable_cells)
    seeding = db.session.scalars(select(CultureStep).where(
        CultureStep.batch_id == batch.id, CultureStep.kind.in_(("isolation", "seeding"))))
    for step in seeding:  # neither the mononuclear cells isolated nor those seeded
        assert not math.isclose(drawn, step.cells, rel_tol=0.2)
