"""ISBT 128 label PDFs: content, layout, inert text, and bar codes that really scan."""

import io
import math
import os
import re
import shutil
import subprocess

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from labtrack.identity.label_pdf import (
    AUTOLOGOUS_WARNING,
    LABEL_HEIGHT,
    LABEL_WIDTH,
    LabelData,
    datamatrix_codewords,
    datamatrix_modules,
    label_pdf,
    sheet_slots,
)
from labtrack.identity.rules.isbt128 import make_din

IN_CI = os.environ.get("CI", "").lower() == "true"
DIN = make_din("A9999", 26, 123)  # check character P, flags 85


def dose_label(**changes) -> LabelData:
    fields = {
        "din": DIN,
        "title": "Dose L4-L5",
        "patient_identifier": "NHC 1234567 PÉREZ, Ana",
        "batch_number": "MSC-2026-0007",
        "lab_name": "Cell Therapy Unit",
        "product_code": "S1234100",
        "disc_level": "L4-L5",
        "cells": "20 x 10^6 viable cells",
        "expiry": "2026-03-06 14:30 CET",
        "storage": "2-8 °C",
    }
    fields.update(changes)
    return LabelData(**fields)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def missing_tool(reason: str):
    """A missing scanning tool fails the run in CI and skips it on a developer's machine."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def rasterise(pdf: bytes, tmp_path) -> Image.Image:
    """The first page at 600 dpi, as poppler renders it."""
    if shutil.which("pdftoppm") is None:
        missing_tool("pdftoppm (poppler-utils) is not installed")
    (tmp_path / "label.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "600", "-png", "-singlefile", tmp_path / "label.pdf",
                    tmp_path / "label"], check=True, timeout=60)
    with Image.open(tmp_path / "label.png") as page:
        return page.convert("L")


def decode_code128(image, tmp_path) -> list[str]:
    """Code 128 symbols zbar finds, through pyzbar or else the zbarimg program."""
    try:
        from pyzbar import pyzbar
    except ImportError:  # pyzbar is missing or cannot load libzbar
        pyzbar = None
    if pyzbar is not None:
        return [symbol.data.decode("ascii") for symbol in pyzbar.decode(image)
                if symbol.type == "CODE128"]
    if shutil.which("zbarimg") is None:
        missing_tool("neither pyzbar with libzbar0 nor zbarimg (zbar-tools) is available")
    image.save(tmp_path / "scan.png")
    result = subprocess.run(["zbarimg", "--quiet", "--raw", "-Scode128.enable=1",
                             tmp_path / "scan.png"], capture_output=True, text=True, timeout=60)
    return result.stdout.split()


def decode_datamatrix(image) -> list[str]:
    """Data Matrix symbols found by a decoder that reads them (zbar cannot)."""
    try:
        import zxingcpp
    except ImportError:
        zxingcpp = None
    if zxingcpp is not None:
        return [result.text for result in zxingcpp.read_barcodes(image)
                if result.format == zxingcpp.BarcodeFormat.DataMatrix]
    try:
        from pylibdmtx import pylibdmtx
    except ImportError:
        pytest.skip("zbar cannot read Data Matrix and neither zxing-cpp nor pylibdmtx is "
                    "installed, so the Data Matrix is not decoded here")
    return [result.data.decode("ascii") for result in pylibdmtx.decode(image)]


def test_single_layout_makes_one_label_sized_page_per_label():
    reader = PdfReader(io.BytesIO(label_pdf([dose_label(), dose_label(title="Dose L5-S1")])))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(50 * mm, abs=0.01)
    assert float(box.height) == pytest.approx(25 * mm, abs=0.01)


def test_label_shows_din_patient_warning_batch_and_details():
    text = pdf_text(label_pdf([dose_label()]))
    assert re.search(r"A9999 26 000123\s*P", text)  # the DIN and its boxed check character
    for expected in ("NHC 1234567 PÉREZ, Ana", AUTOLOGOUS_WARNING,
                     "MSC-2026-0007", "Cell Therapy Unit", "Dose L4-L5", "L4-L5", "S1234100",
                     "20 x 10^6 viable cells", "2026-03-06 14:30 CET", "2-8 °C"):
        assert expected in text


@pytest.mark.parametrize("expiry", ["2026-12-08 14:30 CET", "2026-07-08 14:30 CEST"])
def test_the_storage_instruction_is_whole_in_winter_and_summer_time(expiry):
    text = pdf_text(label_pdf([dose_label(expiry=expiry, storage="Store at 2–8 °C.")]))
    assert f"Exp {expiry} · Store at 2–8 °C." in text
    assert "…" not in text


def test_optional_fields_may_be_left_out():
    label = dose_label(product_code=None, disc_level=None, cells=None, expiry=None, storage=None)
    text = pdf_text(label_pdf([label]))
    assert "A9999 26 000123" in text
    assert AUTOLOGOUS_WARNING in text
    assert "Exp" not in text


def test_metadata_title():
    reader = PdfReader(io.BytesIO(label_pdf([dose_label()], title="Labels for MSC-2026-0007")))
    assert reader.metadata.title == "Labels for MSC-2026-0007"


def test_user_text_is_drawn_literally():
    script = '<script>alert("x")</script>'
    markup = "<b>Dose</b> &amp; <br/>"
    text = pdf_text(label_pdf([dose_label(patient_identifier=script, title=markup)]))
    assert script in text
    assert markup in text


def test_long_text_is_cut_with_an_ellipsis_not_overflowing():
    long_name = "NHC 1234567 " + "MARÍA DEL CARMEN " * 20 + "END-OF-NAME"
    text = pdf_text(label_pdf([dose_label(patient_identifier=long_name)]))
    assert "NHC 1234567 MARÍA" in text
    assert "…" in text
    assert "END-OF-NAME" not in text


def test_characters_the_label_font_lacks_are_replaced_not_boxed():
    text = pdf_text(label_pdf([dose_label(cells="20 × 10⁶ cells", patient_identifier="李 NHC 9")]))
    assert re.search(r"20 × 10\s*6\s*cells", text)  # the 6 drawn raised and small, not "^6"
    assert "^" not in text
    assert "? NHC 9" in text


def test_sheet_layout_fills_a4_pages_as_needed():
    per_sheet = len(sheet_slots())
    labels = [dose_label(din=make_din("A9999", 26, n)) for n in range(per_sheet + 1)]
    pdf = label_pdf(labels, layout="sheet")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == math.ceil(len(labels) / per_sheet) == 2
    assert float(reader.pages[0].mediabox.width) == pytest.approx(A4[0], abs=0.01)
    text = pdf_text(pdf)
    assert all(label.din.grouped in text for label in labels)


def test_sheet_cells_stay_on_the_page_and_apart():
    slots = sheet_slots()
    assert len(slots) >= 20
    for x, y in slots:
        assert x >= 10 * mm and x + LABEL_WIDTH <= A4[0] - 10 * mm
        assert y >= 10 * mm and y + LABEL_HEIGHT <= A4[1] - 10 * mm
    for index, (x, y) in enumerate(slots):
        for other_x, other_y in slots[index + 1:]:
            assert abs(x - other_x) >= LABEL_WIDTH or abs(y - other_y) >= LABEL_HEIGHT


def test_output_is_repeatable():
    labels = (dose_label(), dose_label(din=make_din("A9999", 26, 124)))
    assert label_pdf(labels, layout="sheet") == label_pdf(iter(labels), layout="sheet")


def test_unknown_layout_and_empty_list_are_refused():
    with pytest.raises(ValueError):
        label_pdf([dose_label()], layout="roll")
    with pytest.raises(ValueError):
        label_pdf([])


def test_datamatrix_codewords_are_ascii_mode():
    # "=" 61+1, "A" 65+1, then digit pairs as 130 + value: 99 99 26 00 01 23 85.
    assert datamatrix_codewords(DIN.barcode_data) == [62, 66, 229, 229, 156, 130, 131, 153, 215]


def test_datamatrix_has_the_ecc200_finder_pattern():
    modules = datamatrix_modules(DIN.barcode_data)
    assert len(modules) == 16 and all(len(row) == 16 for row in modules)
    assert all(row[0] == 1 for row in modules)  # solid left edge
    assert modules[-1] == [1] * 16  # solid bottom edge
    assert modules[0] == [1, 0] * 8  # alternating top edge
    assert [row[-1] for row in modules] == [0, 1] * 8  # alternating right edge


def test_code128_scans_back_to_the_din_barcode_data(tmp_path):
    image = rasterise(label_pdf([dose_label()]), tmp_path)
    assert decode_code128(image, tmp_path) == ["=A99992600012385"]


@pytest.mark.parametrize("sequence", [5, 88])  # check characters "0" and "*"
def test_code128_scans_at_the_check_value_extremes(tmp_path, sequence):
    din = make_din("A9999", 26, sequence)
    image = rasterise(label_pdf([dose_label(din=din)]), tmp_path)
    assert decode_code128(image, tmp_path) == [din.barcode_data]


def test_datamatrix_scans_back_to_the_din_barcode_data(tmp_path):
    image = rasterise(label_pdf([dose_label()]), tmp_path)
    assert decode_datamatrix(image) == ["=A99992600012385"]
