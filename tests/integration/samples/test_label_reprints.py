"""A label printed again says so: REPRINT on the label itself and in the print log."""

import io

from pypdf import PdfReader
from sqlalchemy import select

from labtrack.extensions import db
from labtrack.identity.models import LabelPrint
from labtrack.identity.rules import isbt128
from tests import builders

DIN = isbt128.make_din("A9999", 2026, 4343)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _log() -> list[LabelPrint]:
    return list(db.session.scalars(select(LabelPrint).order_by(LabelPrint.id)))


def test_the_first_print_is_plain_and_every_later_one_says_reprint(bench):
    client, order = bench
    builders.receive(order, din=DIN.barcode_data)
    first = client.get(f"/samples/{DIN.text}/labels/tube.pdf")
    second = client.get(f"/samples/{DIN.text}/labels/tube.pdf")
    zpl = client.get(f"/samples/{DIN.text}/labels/tube.zpl?dpi=300")
    assert [r.status_code for r in (first, second, zpl)] == [200, 200, 200]
    assert "REPRINT" not in _pdf_text(first.data)
    assert "REPRINT" in _pdf_text(second.data)
    assert "^FDREPRINT" in zpl.get_data(as_text=True).replace("^FH", "")
    log = _log()
    assert [(row.label, row.format, row.dpi, row.reprint) for row in log] == [
        ("tube", "pdf", None, False), ("tube", "pdf", None, True), ("tube", "zpl", 300, True)]


def test_flask_labels_are_not_reprints_of_the_tube_label(bench):
    client, order = bench
    builders.receive(order, din=DIN.barcode_data)
    client.get(f"/samples/{DIN.text}/labels/tube.pdf")
    flasks = client.get(f"/samples/{DIN.text}/labels/flasks.pdf?flasks=2")
    assert flasks.status_code == 200
    assert "REPRINT" not in _pdf_text(flasks.data)
    assert [(row.label, row.copies, row.reprint) for row in _log()] == [
        ("tube", 1, False), ("flask", 2, False)]
